// The chat page: sends the conversation to /v1/chat/completions with stream: true and shows the reply as its tokens
// arrive. Plain JavaScript, no build step; the server embeds this file and serves it with a strict CSP.
import { render } from "./markdown.js";

// The renderer, reachable from tests and the browser console.
window.ternRender = render;

const $ = (id) => document.getElementById(id);
const ui = {
  modelId: $("model-id"), messages: $("messages"), empty: $("empty"), error: $("error"), composer: $("composer"),
  input: $("input"), send: $("send"), stop: $("stop"), stats: $("stats"), newChat: $("new-chat"),
  settings: $("settings"), settingsToggle: $("settings-toggle"), settingsClose: $("settings-close"), settingsReset: $("settings-reset"),
};

// Settings: element id → key in localStorage's JSON.
const FIELDS = {
  "system-prompt": "systemPrompt", temperature: "temperature", "top-p": "topP", "top-k": "topK",
  "max-tokens": "maxTokens", seed: "seed", "api-key": "apiKey",
};
const STORAGE_KEY = "tern.settings";

let history = [];  // the conversation sent with each request: {role, content}
let running = null; // the reply being streamed: {controller}
let chatId = 0;     // bumped by New chat, so a reply that ends after it does not touch the new chat

// ---- settings ----

function loadSettings() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") || {}; } catch { /* storage off or corrupt */ }
  for (const [id, key] of Object.entries(FIELDS)) if (typeof saved[key] === "string") $(id).value = saved[key];
}

function saveSettings() {
  const values = {};
  for (const [id, key] of Object.entries(FIELDS)) values[key] = $(id).value;
  try { localStorage.setItem(STORAGE_KEY, JSON.stringify(values)); } catch { /* storage off: settings last for this page */ }
}

/** A number field's value, or undefined when it is empty or not a number (then the server's default applies). */
function numberField(id, integer) {
  const text = $(id).value.trim();
  if (text === "") return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) return undefined;
  return integer ? Math.trunc(n) : n;
}

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  const key = $("api-key").value.trim();
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

function requestBody() {
  const messages = [];
  const system = $("system-prompt").value.trim();
  if (system) messages.push({ role: "system", content: system });
  messages.push(...history);
  const body = { messages, stream: true, stream_options: { include_usage: true } };
  const fields = { temperature: ["temperature", false], top_p: ["top-p", false], top_k: ["top-k", true], max_tokens: ["max-tokens", true], seed: ["seed", true] };
  for (const [name, [id, integer]] of Object.entries(fields)) {
    const v = numberField(id, integer);
    if (v !== undefined) body[name] = v;
  }
  return body;
}

// ---- errors ----

/** Shows an error; `source` "auth" (a 401) is cleared once a key works, "models" once the model loads. */
function showError(message, source) {
  ui.error.textContent = message;
  ui.error.dataset.source = source;
  ui.error.hidden = false;
}

function clearError() {
  ui.error.hidden = true;
  ui.error.textContent = "";
  delete ui.error.dataset.source;
}

/** The message of an error response: OpenAI's {"error": {"message"}} when the body has it, else the status. */
async function errorMessage(res) {
  let detail = "";
  try {
    const body = await res.json();
    if (body && body.error && typeof body.error.message === "string") detail = body.error.message;
  } catch { /* not JSON */ }
  return `${detail || res.statusText || "request failed"} (HTTP ${res.status})`;
}

// ---- the model in the header ----

let modelTimer = 0;

async function loadModel() {
  clearTimeout(modelTimer);
  const label = ui.modelId;
  try {
    const res = await fetch("/v1/models", { headers: headers(false) });
    if (res.ok) {
      const body = await res.json();
      const id = body && Array.isArray(body.data) && body.data.length > 0 ? String(body.data[0].id) : "no model";
      label.textContent = id;
      label.title = id;
      label.dataset.state = "ready";
      if (ui.error.dataset.source === "models" || ui.error.dataset.source === "auth") clearError();
      return;
    }
    const message = await errorMessage(res);
    if (res.status === 503) { // still loading: ask again shortly
      label.textContent = "loading model…";
      label.dataset.state = "loading";
      modelTimer = setTimeout(loadModel, 1000);
      return;
    }
    label.textContent = res.status === 401 ? "API key needed" : "unavailable";
    label.dataset.state = "error";
    if (res.status === 401) showError(`${message}. Enter the key in Settings.`, "auth");
    else showError(message, "models");
  } catch {
    label.textContent = "server unreachable";
    label.dataset.state = "error";
    modelTimer = setTimeout(loadModel, 3000);
  }
}

// ---- messages ----

function addMessage(role, text) {
  ui.empty.hidden = true;
  const content = document.createElement("div");
  content.className = "content";
  content.dataset.testid = "message-content";
  const who = document.createElement("div");
  who.className = "role";
  who.textContent = role === "user" ? "You" : "Assistant";
  const msg = document.createElement("div");
  msg.className = "msg " + role;
  msg.dataset.testid = role + "-message";
  msg.dataset.role = role;
  msg.append(who, content);
  if (role === "user") content.textContent = text; // shown as typed, not as markdown
  else render(text, content);
  ui.messages.append(msg);
  scrollToEnd(true);
  return { msg, content };
}

function nearEnd() {
  const m = ui.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

function scrollToEnd(force) {
  if (force || nearEnd()) ui.messages.scrollTop = ui.messages.scrollHeight;
}

function note(msg, text) {
  const n = document.createElement("div");
  n.className = "note";
  n.dataset.testid = "message-note";
  n.textContent = text;
  msg.append(n);
}

// ---- streaming ----

/** The data of each server-sent event in `body` (a fetch response stream). */
async function* serverSentEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "", data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        let line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (line === "") {
          if (data.length > 0) { yield data.join("\n"); data = []; }
        } else if (line.startsWith("data:")) {
          data.push(line.slice(line[5] === " " ? 6 : 5));
        }
      }
    }
    if (data.length > 0) yield data.join("\n");
  } finally {
    reader.cancel().catch(() => {}); // closes the connection when the caller stops early
  }
}

class ReplyError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

async function send() {
  const text = ui.input.value;
  if (running || text.trim() === "") return;
  clearError();
  ui.input.value = "";
  autoGrow();

  const myChat = chatId;
  history.push({ role: "user", content: text });
  const userMsg = addMessage("user", text);
  const reply = addMessage("assistant", "");
  reply.msg.dataset.state = "streaming";
  const controller = new AbortController();
  running = { controller };
  setRunning(true);

  let content = "", pieces = 0, usage = null, finish = null, state = "done", failure = "", failureStatus = 0;
  const started = performance.now();
  let first = 0, last = 0, frame = 0;
  const paint = () => {
    frame = 0;
    const follow = nearEnd();
    render(content, reply.content);
    if (follow) scrollToEnd(true);
  };

  try {
    const res = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(true), body: JSON.stringify(requestBody()), signal: controller.signal,
    });
    if (!res.ok) throw new ReplyError(await errorMessage(res), res.status);
    let complete = false;
    for await (const data of serverSentEvents(res.body)) {
      if (data === "[DONE]") { complete = true; break; }
      let chunk;
      try { chunk = JSON.parse(data); } catch { continue; }
      if (!chunk || typeof chunk !== "object") continue;
      if (chunk.error) throw new ReplyError(chunk.error.message || "the server reported an error");
      if (chunk.usage) usage = chunk.usage;
      const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : null;
      if (!choice) continue;
      const delta = choice.delta && choice.delta.content;
      if (typeof delta === "string" && delta.length > 0) {
        last = performance.now();
        if (!first) first = last;
        content += delta;
        pieces++;
        // re-render at most once a frame: a fast model sends far more tokens than the screen can show
        if (!frame) frame = requestAnimationFrame(paint);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    if (!complete) throw new ReplyError("the connection closed before the reply was complete");
  } catch (e) {
    if (e && e.name === "AbortError") state = "stopped";
    else {
      state = "error";
      failure = e instanceof ReplyError ? e.message : `the connection failed: ${e && e.message}`;
      failureStatus = e instanceof ReplyError ? e.status : 0;
    }
  }
  if (frame) cancelAnimationFrame(frame);
  if (running && running.controller === controller) { running = null; setRunning(false); }
  if (myChat !== chatId) return; // New chat was pressed meanwhile

  paint();
  reply.msg.dataset.state = state;
  if (state !== "done" && content === "") {
    // failed or stopped before any text: take the turn out again and give the text back to edit or resend
    reply.msg.remove();
    userMsg.msg.remove();
    history.pop();
    if (ui.input.value === "") { ui.input.value = text; autoGrow(); }
    ui.empty.hidden = history.length > 0;
  } else {
    history.push({ role: "assistant", content });
    if (state === "stopped") note(reply.msg, "Stopped");
    else if (state === "done" && finish === "length") note(reply.msg, "Stopped at the token limit (max tokens)");
  }
  if (state === "error") showError(failure, failureStatus === 401 ? "auth" : "chat");
  showStats(usage ? usage.completion_tokens : pieces, started, first, last, state);
}

function showStats(tokens, started, first, last, state) {
  if (!first) { ui.stats.textContent = ""; return; }
  const parts = [`${tokens} token${tokens === 1 ? "" : "s"}`];
  // Generation speed: the tokens after the first over the time they took (the first waits for the prompt). A short,
  // fast reply arrives in a few network reads, which makes that span meaningless; then count from the request instead.
  const span = (last - first) / 1000;
  const rate = span >= 0.25 ? (tokens - 1) / span : tokens / ((last - started) / 1000);
  if (tokens > 0 && Number.isFinite(rate)) parts.push(`${rate.toFixed(1)} tokens/s`);
  parts.push(`first token after ${((first - started) / 1000).toFixed(2)} s`);
  if (state === "stopped") parts.push("stopped");
  ui.stats.textContent = parts.join(" · ");
}

function setRunning(on) {
  ui.send.hidden = on;
  ui.stop.hidden = !on;
  ui.messages.setAttribute("aria-busy", on ? "true" : "false");
}

function stop() {
  if (running) running.controller.abort();
}

function newChat() {
  stop();
  chatId++;
  history = [];
  for (const m of [...ui.messages.querySelectorAll(".msg")]) m.remove();
  ui.empty.hidden = false;
  ui.stats.textContent = "";
  clearError();
  ui.input.focus();
}

// ---- input ----

function autoGrow() {
  // CSSOM writes are allowed by the CSP (style attributes in markup are not)
  ui.input.style.height = "auto";
  ui.input.style.height = Math.min(ui.input.scrollHeight, 200) + "px";
}

function toggleSettings(open) {
  ui.settings.hidden = !open;
  ui.settingsToggle.setAttribute("aria-expanded", String(open));
  if (open) $("system-prompt").focus();
}

ui.composer.addEventListener("submit", (e) => { e.preventDefault(); send(); });
ui.input.addEventListener("keydown", (e) => {
  // Enter sends, Shift+Enter is a new line; not while an input method is composing a character
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); send(); }
});
ui.input.addEventListener("input", autoGrow);
ui.stop.addEventListener("click", stop);
ui.newChat.addEventListener("click", newChat);
ui.settingsToggle.addEventListener("click", () => toggleSettings(ui.settings.hidden));
ui.settingsClose.addEventListener("click", () => toggleSettings(false));
ui.settingsReset.addEventListener("click", () => {
  for (const id of Object.keys(FIELDS)) $(id).value = "";
  saveSettings();
  loadModel();
});
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (running) stop();
  else if (!ui.settings.hidden) toggleSettings(false);
});
let keyTimer = 0;
for (const id of Object.keys(FIELDS)) {
  $(id).addEventListener("input", () => {
    saveSettings();
    if (id === "api-key") { clearTimeout(keyTimer); keyTimer = setTimeout(loadModel, 300); } // try the new key
  });
}

loadSettings();
loadModel();
ui.input.focus();
