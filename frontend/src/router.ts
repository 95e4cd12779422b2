import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { auth, clearSession, hasRole, homePath, loadMe } from './lib/auth'
import { getToken, setUnauthorizedHandler } from './lib/api'
import { stopNotifications } from './lib/notifications'

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: () => (getToken() ? homePath() : '/login') },
  { path: '/login', component: () => import('./views/LoginView.vue'), meta: { title: '登录' } },
  { path: '/register', component: () => import('./views/RegisterView.vue'), meta: { title: '注册' } },
  {
    path: '/m',
    component: () => import('./views/m/MobileLayout.vue'),
    meta: { auth: true },
    children: [
      { path: '', redirect: '/m/projects' },
      { path: 'projects', component: () => import('./views/m/ProjectsView.vue'), meta: { title: '服务项目', tab: 'projects' } },
      { path: 'projects/:id', component: () => import('./views/m/ProjectDetailView.vue'), meta: { title: '项目详情', tab: 'projects' } },
      { path: 'signups', component: () => import('./views/m/SignupsView.vue'), meta: { title: '我的报名', tab: 'signups' } },
      { path: 'checkin', component: () => import('./views/m/CheckinView.vue'), meta: { title: '签到签退', tab: 'signups' } },
      { path: 'notifications', component: () => import('./views/m/NotificationsView.vue'), meta: { title: '消息', tab: 'notifications' } },
      { path: 'me', component: () => import('./views/m/MeView.vue'), meta: { title: '我的', tab: 'me' } },
    ],
  },
  {
    path: '/console',
    component: () => import('./views/console/ConsoleLayout.vue'),
    meta: { auth: true, role: 'social_worker' },
    children: [
      { path: '', redirect: '/console/projects' },
      { path: 'projects', component: () => import('./views/console/ProjectsView.vue'), meta: { title: '我的项目' } },
      { path: 'shifts/:id', component: () => import('./views/console/ShiftView.vue'), meta: { title: '班次签到' } },
      { path: 'records', component: () => import('./views/console/RecordsView.vue'), meta: { title: '服务记录审核' } },
      { path: 'notifications', component: () => import('./views/m/NotificationsView.vue'), meta: { title: '消息' } },
    ],
  },
  { path: '/:pathMatch(.*)*', component: () => import('./views/NotFoundView.vue'), meta: { title: '页面不存在' } },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
})

router.beforeEach(async (to) => {
  const needsAuth = to.matched.some((r) => r.meta.auth)
  if (needsAuth) {
    if (!getToken()) return { path: '/login', query: { next: to.fullPath } }
    if (!auth.user) await loadMe()
    if (!auth.user) {
      clearSession()
      return { path: '/login', query: { next: to.fullPath } }
    }
    const role = to.matched.map((r) => r.meta.role as string | undefined).find(Boolean)
    if (role && !hasRole(role)) return '/m/projects'
  }
  if ((to.path === '/login' || to.path === '/register') && getToken()) {
    if (!auth.user) await loadMe()
    if (auth.user) return homePath()
  }
  return true
})

router.afterEach((to) => {
  const title = to.meta.title as string | undefined
  document.title = title ? `${title} - 社工+义工` : '社工+义工 志愿服务平台'
})

setUnauthorizedHandler(() => {
  const current = router.currentRoute.value
  if (current.path === '/login' || current.path === '/register') return
  stopNotifications()
  clearSession()
  void router.replace({ path: '/login', query: { next: current.fullPath } })
})
