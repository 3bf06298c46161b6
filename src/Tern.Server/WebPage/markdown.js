// A small markdown renderer for the model's replies. The text is untrusted, so it is never parsed as HTML: every node
// is made with createElement / createTextNode, and text goes in through textContent only. Markup in the reply
// ("<script>", "<img onerror>") therefore shows as the characters it is made of.
//
// Supported: paragraphs (single newlines kept), # headings, > quotes, - / * / 1. lists, ``` or ~~~ fenced code blocks
// (an unclosed fence, as while a reply streams, runs to the end), `code`, **bold**, *italic*, _italic_, ~~strike~~,
// [links](https://…) and bare https://… URLs. Links are made only for http and https; anything else stays text.

const MAX_DEPTH = 16; // nesting of quotes and inline emphasis; deeper markers are shown as text

/** Renders markdown `text` into `target`, replacing what it held. */
export function render(text, target) {
  target.replaceChildren(...blocks(String(text).replace(/\r\n?/g, "\n").split("\n"), 0));
}

function el(tag, className, children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (children) node.append(...children);
  return node;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*)$/;
const QUOTE = /^ {0,3}> ?/;
const ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;

function blocks(lines, depth) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (line.trim() === "") { i++; continue; }

    if ((m = FENCE.exec(line))) {
      const fence = m[1], code = [];
      let closed = false;
      for (i++; i < lines.length && !closed; i++) {
        const close = lines[i].trim();
        if (close.length >= fence.length && close === fence[0].repeat(close.length)) closed = true;
        else code.push(lines[i]);
      }
      if (!closed && code.length > 0 && code[code.length - 1] === "") code.pop(); // a reply still streaming its code
      out.push(codeBlock(code.join("\n"), m[2]));
      continue;
    }
    if ((m = HEADING.exec(line))) {
      out.push(el("h" + m[1].length, null, inline(headingText(m[2]), 0)));
      i++;
      continue;
    }
    if (RULE.test(line)) { out.push(el("hr")); i++; continue; }
    if (QUOTE.test(line) && depth < MAX_DEPTH) {
      const inner = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i++) inner.push(lines[i].replace(QUOTE, ""));
      out.push(el("blockquote", null, blocks(inner, depth + 1)));
      continue;
    }
    if ((m = ITEM.exec(line))) {
      const ordered = /\d/.test(m[1]);
      const list = el(ordered ? "ol" : "ul");
      if (ordered && parseInt(m[1], 10) !== 1) list.start = parseInt(m[1], 10);
      for (; i < lines.length; i++) {
        const l = lines[i], im = ITEM.exec(l);
        if (im && /\d/.test(im[1]) === ordered) {
          list.append(el("li"));
          list.lastChild.append(...inline(im[2], 0));
        } else if (l.trim() !== "" && /^\s+/.test(l) && !FENCE.test(l)) {
          // an indented line continues the item above it
          list.lastChild.append(el("br"), ...inline(l.trim(), 0));
        } else break;
      }
      out.push(list);
      continue;
    }

    // a paragraph: lines up to a blank line or the start of another kind of block
    const para = [];
    for (; i < lines.length; i++) {
      const l = lines[i];
      if (l.trim() === "" || FENCE.test(l) || HEADING.test(l) || QUOTE.test(l) || ITEM.test(l) || RULE.test(l)) break;
      para.push(l);
    }
    const p = el("p");
    para.forEach((l, k) => { if (k > 0) p.append(el("br")); p.append(...inline(l, 0)); });
    out.push(p);
  }
  return out;
}

/** A heading's text without the closing #s it may have ("## Title ##"); trimmed by hand, as a regex for it backtracks. */
function headingText(text) {
  let t = text.trimEnd(), j = t.length;
  while (j > 0 && t[j - 1] === "#") j--;
  if (j < t.length && (j === 0 || t[j - 1] === " " || t[j - 1] === "\t")) t = t.slice(0, j).trimEnd();
  return t;
}

function codeBlock(code, lang) {
  const copy = el("button", "copy");
  copy.type = "button";
  copy.textContent = "Copy";
  copy.dataset.testid = "copy-code";
  const codeEl = el("code");
  copy.addEventListener("click", () => copyText(code, codeEl, copy));
  const label = el("span", "lang");
  label.textContent = lang || "code";
  codeEl.textContent = code;
  if (lang) codeEl.dataset.lang = lang;
  return el("div", "code-block", [el("div", "code-head", [label, copy]), el("pre", null, [codeEl])]);
}

async function copyText(text, codeEl, button) {
  try {
    await navigator.clipboard.writeText(text); // only in a secure context (https, or http on localhost)
    button.textContent = "Copied";
  } catch {
    // plain http from another machine has no clipboard API: select the code so Ctrl+C copies it
    const range = document.createRange();
    range.selectNodeContents(codeEl);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    button.textContent = "Selected";
  }
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
}

/** A link element for http(s) URLs, or null: javascript:, data: and the rest are not links. */
function link(url, children) {
  let parsed;
  try { parsed = new URL(url); } catch { return null; }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  const a = el("a", null, children);
  a.href = parsed.href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

// sticky (y): matched at one position of the line without slicing it
const LINK_TARGET = /\(\s*([^\s()]*)\s*\)/y;
const BARE_URL = /https?:\/\/[^\s<>"'`]+/iy;
const ESCAPABLE = "\\`*_{}[]()#+-.!~>|";
const EMPHASIS = { "**": "strong", "__": "strong", "~~": "s", "*": "em", "_": "em" };

/**
 * The inline nodes of one line of text. Model output can be anything, and this runs on every frame while a reply
 * streams, so nothing here rescans the rest of the line once per character: the "]" after a "[" and the lack of a
 * closer for an emphasis marker are found once per line (`bracket`, `unclosed`).
 */
function inline(text, depth) {
  const out = [];
  let buf = "";
  let bracket = -1, opener = -1, target = null; // the first "]" at or after this "[", the last "[" before it, the (url) after it
  const unclosed = {};             // marker → a position from which it has no closer
  const flush = () => { if (buf) { out.push(document.createTextNode(buf)); buf = ""; } };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) { buf += text[i + 1]; i += 2; continue; }

    if (c === "`") {
      let n = 1;
      while (text[i + n] === "`") n++;
      const ticks = "`".repeat(n);
      let end = text.indexOf(ticks, i + n);
      while (end >= 0 && text[end + n] === "`") end = text.indexOf(ticks, end + n + 1); // a longer run does not close
      if (end > i + n) {
        flush();
        const code = el("code");
        code.textContent = text.slice(i + n, end);
        out.push(code);
        i = end + n;
      } else { buf += ticks; i += n; }
      continue;
    }

    if ((c === "*" || c === "_" || c === "~") && depth < MAX_DEPTH) {
      const marker = text[i + 1] === c ? c + c : c;
      const start = i + marker.length;
      // an opener is followed by a non-space; an underscore inside a word (snake_case) is not one
      const opens = start < text.length && !/\s/.test(text[start]) && (c !== "_" || i === 0 || !/\w/.test(text[i - 1]));
      let end = -1;
      if (opens && EMPHASIS[marker] && !(start >= unclosed[marker])) {
        end = closer(text, marker, start);
        if (end < 0) unclosed[marker] = start;
      }
      if (end > start) {
        flush();
        out.push(el(EMPHASIS[marker], null, inline(text.slice(start, end), depth + 1)));
        i = end + marker.length;
      } else { buf += marker; i += marker.length; }
      continue;
    }

    if (c === "[") {
      if (bracket < i) {
        bracket = text.indexOf("]", i);
        if (bracket < 0) bracket = Infinity;
        opener = text.lastIndexOf("[", bracket);
        LINK_TARGET.lastIndex = bracket + 1;
        target = bracket < Infinity ? LINK_TARGET.exec(text) : null;
      }
      if (target && i === opener) { // [label](url): the label is what lies between this "[" and that "]"
        const end = bracket + 1 + target[0].length;
        const a = link(target[1], inline(text.slice(i + 1, bracket), depth + 1));
        if (a) { flush(); out.push(a); } else buf += text.slice(i, end); // not http(s): the source stays as text
        i = end;
        continue;
      }
    }

    if ((c === "h" || c === "H") && (i === 0 || !/\w/.test(text[i - 1]))) {
      BARE_URL.lastIndex = i;
      const m = BARE_URL.exec(text);
      if (m) {
        const url = m[0].replace(/[.,;:!?)\]]+$/, ""); // trailing punctuation belongs to the sentence
        const a = link(url, [document.createTextNode(url)]);
        if (a) { flush(); out.push(a); i += url.length; continue; }
      }
    }

    buf += c;
    i++;
  }
  flush();
  return out;
}

/** Where the closing `marker` starts, for emphasis opened before `from` (after a non-space); -1 when there is none. */
function closer(text, marker, from) {
  const ch = marker[0];
  for (let j = from; j < text.length; j++) {
    if (text[j] === "`") { // code spans hide markers
      const end = text.indexOf("`", j + 1);
      if (end < 0) return -1;
      j = end;
      continue;
    }
    if (text[j] !== ch) continue;
    let run = 1;
    while (text[j + run] === ch) run++;
    const afterWord = j > from && !/\s/.test(text[j - 1]);
    if (afterWord && !(ch === "_" && /\w/.test(text[j + run] || ""))) {
      // "**" closes at the end of a run of two or more ("***" ends an em inside a strong); "*" only on a run of its own
      if (marker.length === 2 && run >= 2) return j + run - 2;
      if (marker.length === 1 && run === 1) return j;
    }
    j += run - 1;
  }
  return -1;
}
