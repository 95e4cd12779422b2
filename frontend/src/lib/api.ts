import { showToast } from 'vant'
import type { Paginated } from './types'

const TOKEN_KEY = 'sgyg.token'

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY)
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token)
  else localStorage.removeItem(TOKEN_KEY)
}

export type FieldErrors = Record<string, string[]>

export class ApiError extends Error {
  status: number
  code: string
  detail: string
  fields: FieldErrors
  /** `fields` as sent (nested objects kept, e.g. a charter's `{sections: {general: [...]}}`). */
  rawFields: Record<string, unknown>

  constructor(status: number, code: string, detail: string, fields: FieldErrors, rawFields: Record<string, unknown> = {}) {
    super(detail)
    this.status = status
    this.code = code
    this.detail = detail
    this.fields = fields
    this.rawFields = rawFields
  }
}

/** Called on any 401 (set by the router module so that api.ts stays router-free). */
let onUnauthorized: (() => void) | null = null
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn
}

export interface RequestOptions {
  /** Do not toast the error detail (the caller shows it itself). */
  silent?: boolean
  query?: Record<string, string | number | boolean | undefined | null>
}

function withQuery(path: string, query?: RequestOptions['query']): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  }
  const qs = params.toString()
  if (!qs) return path
  return path + (path.includes('?') ? '&' : '?') + qs
}

/** Normalise a DRF error body (our shape, or DRF defaults as a fallback) into ApiError. */
function toApiError(status: number, body: unknown): ApiError {
  let code = `http_${status}`
  let detail = ''
  let fields: FieldErrors = {}
  let rawFields: Record<string, unknown> = {}
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>
    if (typeof b.code === 'string') code = b.code
    if (typeof b.detail === 'string') detail = b.detail
    if (b.fields && typeof b.fields === 'object') {
      rawFields = b.fields as Record<string, unknown>
      for (const [k, v] of Object.entries(b.fields as Record<string, unknown>)) {
        fields[k] = Array.isArray(v) ? v.map(String) : [String(v)]
      }
    } else if (!('detail' in b)) {
      // Plain DRF validation error: {field: [msg]}.
      for (const [k, v] of Object.entries(b)) {
        if (k === 'code') continue
        fields[k] = Array.isArray(v) ? v.map(String) : [String(v)]
      }
    }
  }
  if (!detail) {
    const first = Object.values(fields)[0]
    if (first && first.length) detail = first[0]
  }
  if (!detail) {
    detail =
      status === 401 ? '请先登录' :
      status === 403 ? '没有权限' :
      status === 404 ? '内容不存在' :
      status >= 500 ? '服务器错误，请稍后再试' : '请求失败'
  }
  return new ApiError(status, code, detail, fields, rawFields)
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  const token = getToken()
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    })
  } catch {
    const err = new ApiError(0, 'network_error', '网络连接失败，请检查网络', {})
    if (!opts.silent) showToast(err.detail)
    throw err
  }
  const text = await res.text()
  let data: unknown = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (!res.ok) {
    const err = toApiError(res.status, data)
    if (res.status === 401 && onUnauthorized) onUnauthorized()
    if (!opts.silent) showToast(err.detail)
    throw err
  }
  return data as T
}

/** Shared by the non-JSON helpers: the network failure, and an error response → ApiError. */
async function rawFetch(path: string, init: RequestInit, opts: RequestOptions): Promise<Response> {
  const headers = new Headers(init.headers)
  const token = getToken()
  if (token) headers.set('Authorization', `Bearer ${token}`)
  let res: Response
  try {
    res = await fetch(withQuery(path, opts.query), { ...init, headers, credentials: 'same-origin' })
  } catch {
    const err = new ApiError(0, 'network_error', '网络连接失败，请检查网络', {})
    if (!opts.silent) showToast(err.detail)
    throw err
  }
  if (!res.ok) {
    let data: unknown = null
    try {
      data = JSON.parse(await res.text())
    } catch {
      data = null
    }
    const err = toApiError(res.status, data)
    if (res.status === 401 && onUnauthorized) onUnauthorized()
    if (!opts.silent) showToast(err.detail)
    throw err
  }
  return res
}

/** POST multipart/form-data (file uploads): same token and `{code, detail, fields}` handling as `request`. */
export async function postForm<T>(path: string, form: FormData, opts: RequestOptions = {}): Promise<T> {
  const res = await rawFetch(path, { method: 'POST', body: form, headers: { Accept: 'application/json' } }, opts)
  const text = await res.text()
  return (text ? JSON.parse(text) : null) as T
}

/** GET a file (certificate PDF, evidence) with the Bearer token, as a Blob. */
export async function getBlob(path: string, opts: RequestOptions = {}): Promise<Blob> {
  const res = await rawFetch(path, { method: 'GET' }, opts)
  return res.blob()
}

/**
 * Save a Blob under `filename` (an `<a download>` click). For viewing in a new tab, call
 * `openBlankWindow()` synchronously in the click handler first (popup blockers), then
 * `showBlob(win, blob, filename)` once the file has arrived.
 */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export function openBlankWindow(): Window | null {
  try {
    return window.open('', '_blank')
  } catch {
    return null
  }
}

/** Show the Blob in `win` (from `openBlankWindow`); falls back to a download if the window was blocked. */
export function showBlob(win: Window | null, blob: Blob, filename: string): void {
  if (!win || win.closed) {
    saveBlob(blob, filename)
    return
  }
  const url = URL.createObjectURL(blob)
  win.location.href = url
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', path, body ?? {}, opts),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, body ?? {}, opts),
}

/** Turn a `next` link (absolute or relative) into a same-origin path. */
export function nextPath(next: string | null): string | null {
  if (!next) return null
  try {
    const u = new URL(next, location.origin)
    return u.pathname + u.search
  } catch {
    return next
  }
}

/** Fetch every page of a paginated list (for short lists such as a project's shifts). */
export async function getAll<T>(path: string, opts?: RequestOptions): Promise<T[]> {
  const out: T[] = []
  let page: Paginated<T> = await api.get<Paginated<T>>(path, opts)
  out.push(...page.results)
  let guard = 0
  while (page.next && guard++ < 50) {
    page = await api.get<Paginated<T>>(nextPath(page.next)!, { silent: opts?.silent })
    out.push(...page.results)
  }
  return out
}

/** First error message for a form field, for Vant's `error-message`. */
export function fieldError(fields: FieldErrors, name: string): string {
  return fields[name]?.[0] ?? ''
}
