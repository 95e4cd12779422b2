import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { auth, clearSession, consoleHome, CONSOLE_ROLES, hasAnyRole, homePath, loadMe, STAFF_ROLES } from './lib/auth'
import { getToken, setUnauthorizedHandler } from './lib/api'
import { stopNotifications } from './lib/notifications'

const EVALUATION_ROLES = [...STAFF_ROLES, 'org_admin', 'expert']

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
      { path: 'records', component: () => import('./views/m/RecordsView.vue'), meta: { title: '我的服务记录', tab: 'me' } },
      { path: 'teams', component: () => import('./views/m/TeamsView.vue'), meta: { title: '我的服务队', tab: 'me' } },
      { path: 'teams/:id(\\d+)', component: () => import('./views/m/TeamDetailView.vue'), meta: { title: '服务队', tab: 'me' } },
      { path: 'needs', component: () => import('./views/m/NeedsView.vue'), meta: { title: '我的需求', tab: 'me' } },
      { path: 'needs/new', component: () => import('./views/m/NeedNewView.vue'), meta: { title: '提交需求', tab: 'me' } },
      { path: 'needs/:id(\\d+)', component: () => import('./views/m/NeedDetailView.vue'), meta: { title: '需求详情', tab: 'me' } },
      { path: 'feedback', component: () => import('./views/m/FeedbackView.vue'), meta: { title: '活动评价', tab: 'signups' } },
      // Filing (备案) of a community social organization: the person in charge applies and follows it.
      { path: 'filings', component: () => import('./views/console/registry/MyFilingsView.vue'), meta: { title: '社区社会组织备案', tab: 'me' } },
      // The volunteer's own data: profile for matching, real name (age), guardian consent, iCal feed.
      { path: 'profile', component: () => import('./views/m/ProfileView.vue'), meta: { title: '我的志愿者档案', tab: 'me' } },
      { path: 'real-name', component: () => import('./views/m/RealNameView.vue'), meta: { title: '实名认证', tab: 'me' } },
      { path: 'guardian-consent', component: () => import('./views/m/GuardianConsentView.vue'), meta: { title: '监护人同意', tab: 'me' } },
      { path: 'calendar', component: () => import('./views/m/CalendarView.vue'), meta: { title: '日历订阅', tab: 'me' } },
    ],
  },
  {
    path: '/console',
    component: () => import('./views/console/ConsoleLayout.vue'),
    meta: { auth: true, role: 'social_worker' },
    children: [
      { path: '', redirect: () => consoleHome() },
      { path: 'projects', component: () => import('./views/console/ProjectsView.vue'), meta: { title: '我的项目', roles: ['social_worker', 'org_admin'] } },
      { path: 'project-reviews', component: () => import('./views/console/ProjectReviewView.vue'), meta: { title: '项目审核', roles: [...STAFF_ROLES, 'org_admin'] } },
      { path: 'shifts/:id', component: () => import('./views/console/ShiftView.vue'), meta: { title: '班次签到' } },
      { path: 'shifts/:id(\\d+)/matches', component: () => import('./views/console/MatchingView.vue'), meta: { title: '匹配与邀请' } },
      { path: 'teams', component: () => import('./views/console/TeamsView.vue'), meta: { title: '志愿服务队', roles: ['social_worker', 'org_admin'] } },
      { path: 'teams/:id(\\d+)', component: () => import('./views/console/TeamDetailView.vue'), meta: { title: '服务队管理', roles: ['social_worker', 'org_admin'] } },
      { path: 'records', component: () => import('./views/console/RecordsView.vue'), meta: { title: '服务记录审核' } },
      { path: 'records/work', component: () => import('./views/console/RecordsDisputesView.vue'), meta: { title: '复核、补录与申诉' } },
      // Resident needs: staff triage, social workers take them up; feedback: project staff and governing staff.
      { path: 'needs', component: () => import('./views/console/NeedsView.vue'), meta: { title: '居民需求', roles: ['social_worker', ...STAFF_ROLES] } },
      { path: 'feedback', component: () => import('./views/console/FeedbackView.vue'), meta: { title: '服务评价', roles: CONSOLE_ROLES } },
      { path: 'shifts/:id(\\d+)/ratings', component: () => import('./views/console/FeedbackShiftView.vue'), meta: { title: '班次评价表', roles: CONSOLE_ROLES } },
      { path: 'notifications', component: () => import('./views/m/NotificationsView.vue'), meta: { title: '消息', roles: CONSOLE_ROLES } },
      // Registry (社会组织名录, 备案, 统计): government staff; an org's admin sees the list and its own record.
      { path: 'registry', component: () => import('./views/console/registry/RegistryListView.vue'), meta: { title: '社会组织名录', roles: [...STAFF_ROLES, 'org_admin'] } },
      { path: 'registry/stats', component: () => import('./views/console/registry/StatsView.vue'), meta: { title: '社会组织统计', roles: STAFF_ROLES } },
      { path: 'registry/:id(\\d+)', component: () => import('./views/console/registry/RegistryDetailView.vue'), meta: { title: '组织详情', roles: [...STAFF_ROLES, 'org_admin'] } },
      { path: 'venues', component: () => import('./views/console/VenuesView.vue'), meta: { title: '场地与活动室', roles: [...STAFF_ROLES, 'org_admin'] } },
      { path: 'brands', component: () => import('./views/console/registry/BrandsView.vue'), meta: { title: '品牌组织', roles: [...STAFF_ROLES, 'org_admin'] } },
      { path: 'filings', component: () => import('./views/console/registry/FilingsView.vue'), meta: { title: '备案审核', roles: STAFF_ROLES } },
      // Evaluation (评估): staff run rounds; an org's admin self-assesses; experts score.
      { path: 'evaluation', component: () => import('./views/console/evaluation/RoundsView.vue'), meta: { title: '社会组织评估', roles: STAFF_ROLES } },
      { path: 'evaluation/mine', component: () => import('./views/console/evaluation/MyEvaluationsView.vue'), meta: { title: '评估任务', roles: EVALUATION_ROLES } },
      { path: 'evaluation/templates', component: () => import('./views/console/evaluation/TemplatesView.vue'), meta: { title: '评估指标', roles: EVALUATION_ROLES } },
      { path: 'evaluation/rounds/:id(\\d+)', component: () => import('./views/console/evaluation/RoundDetailView.vue'), meta: { title: '评估轮次', roles: STAFF_ROLES } },
      { path: 'evaluation/evaluations/:id(\\d+)', component: () => import('./views/console/evaluation/EvaluationView.vue'), meta: { title: '组织评估', roles: EVALUATION_ROLES } },
      // Participation dashboard (参与度监测): government staff, each in their own region.
      { path: 'dashboard', component: () => import('./views/console/dashboard/DashboardView.vue'), meta: { title: '参与度监测', roles: STAFF_ROLES } },
    ],
  },
  // The public list of evaluation grades (评估等级公示): no login.
  { path: '/grades', component: () => import('./views/console/evaluation/GradesView.vue'), meta: { title: '评估等级公示' } },
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
    // The deepest route that names roles decides (`/console` itself: social_worker, so its
    // pages without `roles` stay social-worker pages); any one of the roles lets the user in.
    const need = [...to.matched].reverse()
      .map((r) => (r.meta.roles as readonly string[] | undefined) ?? (r.meta.role ? [r.meta.role as string] : undefined))
      .find(Boolean)
    if (need && !hasAnyRole(need)) {
      const home = consoleHome()
      return hasAnyRole(CONSOLE_ROLES) && home !== to.path ? home : '/m/projects'
    }
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
