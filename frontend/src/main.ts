import { createApp } from 'vue'
import Vant, { Locale } from 'vant'
import zhCN from 'vant/es/locale/lang/zh-CN'
import 'vant/lib/index.css'
import './style.css'
import App from './App.vue'
import { router } from './router'
import { inputTestId } from './lib/testid'

Locale.use('zh-CN', zhCN)

createApp(App).use(router).use(Vant).directive('input-testid', inputTestId).mount('#app')
