import { onScopeDispose, reactive } from 'vue'
import { api, nextPath } from './api'
import type { Notification, Paginated } from './types'

/**
 * The inbox lives on the server; the WebSocket only pushes. We keep the newest page
 * in memory, remember the highest id seen, and after every (re)connect catch up with
 * `?after=<id>` so that nothing sent while the socket was down is lost.
 */
export const inbox = reactive<{
  items: Notification[]
  next: string | null
  unread: number
  connected: boolean
  started: boolean
  /** The first page (or a catch-up) has answered: an empty list now means "no messages". */
  loaded: boolean
}>({ items: [], next: null, unread: 0, connected: false, started: false, loaded: false })

/**
 * Live listeners: every notification that is new to this tab (pushed over the socket or
 * found by a catch-up) is passed to them. `announce` is false for what arrived before the
 * inbox had a baseline (old news: update data, but do not pop up a banner for it).
 */
export type NotificationListener = (n: Notification, announce: boolean) => void
const listeners = new Set<NotificationListener>()

export function onNotification(fn: NotificationListener): () => void {
  listeners.add(fn)
  return () => {
    listeners.delete(fn)
  }
}

/** `onNotification` for a component's setup(): unsubscribes when the component goes away. */
export function useNotifications(fn: NotificationListener): void {
  onScopeDispose(onNotification(fn))
}

/**
 * Wrap a reload so that a burst of notifications costs at most one request in flight plus
 * one queued re-run (which starts after the current one, so the freshest answer lands last).
 * The returned promise settles once the data is at least as fresh as the call.
 */
export function coalesce(fn: () => Promise<unknown>): () => Promise<void> {
  let running: Promise<void> | null = null
  let queued: Promise<void> | null = null
  const trigger = (): Promise<void> => {
    if (!running) {
      running = Promise.resolve()
        .then(fn)
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          running = null
        })
      return running
    }
    if (!queued) {
      queued = running.then(() => {
        queued = null
        return trigger()
      })
    }
    return queued
  }
  return trigger
}

/** The kinds that change a volunteer's sign-ups / service records. */
export const isSignupKind = (kind: string): boolean => kind.startsWith('signup_')
export const isRecordKind = (kind: string): boolean => kind.startsWith('record_')

/** A number from a notification's `data` (ids arrive as JSON numbers; tolerate strings). */
export function dataId(n: Notification, key: string): number | null {
  const v = n.data?.[key]
  const num = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  return Number.isFinite(num) ? num : null
}

let lastId = 0
let socket: WebSocket | null = null
let stopped = true
let retry = 0
let retryTimer: number | null = null
let useTicket = false
/** Only announce (toast) notifications once the inbox has a baseline. */
let baseline = false

function recount(serverUnread?: number): void {
  inbox.unread = typeof serverUnread === 'number' ? serverUnread : inbox.items.filter((n) => !n.read_at).length
}

function addNew(n: Notification, announce: boolean): void {
  if (inbox.items.some((x) => x.id === n.id)) return
  inbox.items.unshift(n)
  inbox.items.sort((a, b) => b.id - a.id)
  if (n.id > lastId) lastId = n.id
  if (!n.read_at) inbox.unread += 1
  // The banner itself is drawn by components/LiveNotice.vue (one of these listeners).
  for (const fn of Array.from(listeners)) {
    try {
      fn(n, announce)
    } catch (e) {
      console.error('notification listener failed', e)
    }
  }
}

async function loadFirstPage(): Promise<void> {
  const page = await api.get<Paginated<Notification>>('/api/v1/notifications/', { silent: true })
  inbox.items = page.results.slice().sort((a, b) => b.id - a.id)
  inbox.next = page.next
  lastId = inbox.items.reduce((m, n) => Math.max(m, n.id), lastId)
  recount(page.unread)
  baseline = true
  inbox.loaded = true
}

let catchingUp: Promise<void> | null = null

/** Fetch everything newer than the last id seen (one request chain at a time). */
export function catchUp(): Promise<void> {
  if (!catchingUp) {
    catchingUp = fetchAfterLast().finally(() => {
      catchingUp = null
    })
  }
  return catchingUp
}

async function fetchAfterLast(): Promise<void> {
  let path: string | null = `/api/v1/notifications/?after=${lastId}`
  let guard = 0
  while (path && guard++ < 20) {
    const page: Paginated<Notification> = await api.get<Paginated<Notification>>(path, { silent: true })
    for (const n of page.results) addNew(n, baseline)
    if (typeof page.unread === 'number') inbox.unread = page.unread
    path = nextPath(page.next)
  }
  baseline = true
  inbox.loaded = true
}

export async function loadMore(): Promise<boolean> {
  const path = nextPath(inbox.next)
  if (!path) return false
  const page = await api.get<Paginated<Notification>>(path, { silent: true })
  for (const n of page.results) {
    if (!inbox.items.some((x) => x.id === n.id)) inbox.items.push(n)
  }
  inbox.next = page.next
  return !!page.next
}

export async function refreshInbox(): Promise<void> {
  await loadFirstPage()
}

export async function markRead(ids: number[]): Promise<void> {
  const todo = ids.filter((id) => inbox.items.find((n) => n.id === id && !n.read_at))
  if (!todo.length) return
  await api.post('/api/v1/notifications/mark-read/', { ids: todo })
  const now = new Date().toISOString()
  for (const n of inbox.items) if (todo.includes(n.id)) n.read_at = now
  inbox.unread = Math.max(0, inbox.unread - todo.length)
}

export async function markAllRead(): Promise<void> {
  await markRead(inbox.items.filter((n) => !n.read_at).map((n) => n.id))
}

function wsUrl(): string {
  return (location.protocol === 'https:' ? 'wss' : 'ws') + '://' + location.host + '/ws/notifications/'
}

function scheduleReconnect(): void {
  if (stopped || retryTimer !== null) return
  // Exponential backoff with jitter, capped at 30 s.
  const base = Math.min(30000, 1000 * 2 ** Math.min(retry, 5))
  const delay = base / 2 + Math.random() * (base / 2)
  retry += 1
  // While the socket is down, the REST inbox still brings news at the backoff pace.
  void catchUp().catch(() => undefined)
  retryTimer = window.setTimeout(() => {
    retryTimer = null
    void connect()
  }, delay)
}

async function connect(): Promise<void> {
  if (stopped) return
  let ticket: string | null = null
  if (useTicket) {
    try {
      ticket = (await api.post<{ ticket: string }>('/api/v1/ws-ticket/', {}, { silent: true })).ticket
    } catch {
      scheduleReconnect()
      return
    }
  }
  if (stopped) return
  let ws: WebSocket
  try {
    ws = new WebSocket(wsUrl())
  } catch {
    scheduleReconnect()
    return
  }
  socket = ws
  ws.onopen = () => {
    if (ticket) ws.send(JSON.stringify({ type: 'auth', ticket }))
    inbox.connected = true
    void catchUp().then(() => {
      if (socket === ws) retry = 0
    }).catch(() => undefined)
  }
  ws.onmessage = (ev: MessageEvent) => {
    let frame: Record<string, unknown>
    try {
      frame = JSON.parse(String(ev.data))
    } catch {
      return
    }
    if (frame.type !== 'notification' || typeof frame.id !== 'number') return
    retry = 0
    addNew(
      {
        id: frame.id,
        kind: String(frame.kind ?? ''),
        title: String(frame.title ?? ''),
        body: String(frame.body ?? ''),
        data: (frame.data as Record<string, unknown>) ?? null,
        created_at: String(frame.created_at ?? new Date().toISOString()),
        read_at: null,
      },
      true,
    )
  }
  ws.onclose = (ev: CloseEvent) => {
    if (socket === ws) socket = null
    inbox.connected = false
    // 4401: the session cookie did not authenticate the socket; retry with a ticket.
    if (ev.code === 4401) useTicket = true
    scheduleReconnect()
  }
}

export async function startNotifications(): Promise<void> {
  if (inbox.started) return
  inbox.started = true
  stopped = false
  retry = 0
  useTicket = false
  try {
    await loadFirstPage()
  } catch {
    // The socket's catch-up will fill the inbox once the API answers.
  }
  void connect()
}

export function stopNotifications(): void {
  stopped = true
  inbox.started = false
  if (retryTimer !== null) {
    clearTimeout(retryTimer)
    retryTimer = null
  }
  if (socket) {
    const s = socket
    socket = null
    s.onclose = null
    s.close()
  }
  inbox.items = []
  inbox.next = null
  inbox.unread = 0
  inbox.connected = false
  inbox.loaded = false
  lastId = 0
  baseline = false
}
