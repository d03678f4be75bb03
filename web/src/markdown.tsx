// Markdown-lite for message content: fenced code blocks, `inline code`, **bold**,
// *italic* / _italic_, [text](https://…) and bare http(s) links, @mentions, line breaks.
//
// It builds Preact nodes, never an HTML string: every piece of user text ends up as a
// text node, which the DOM cannot parse as markup. Links are kept only when their URL
// parses as http(s), so `javascript:` and friends stay plain text.

import type { ComponentChildren } from 'preact';

const FENCE = /```([^\n`]*)\n?([\s\S]*?)```/g;

// One alternation, tried left to right at each position; the first group that matches
// decides the kind. Emphasis must hug its text (`* a *` is not italic), like CommonMark.
const INLINE = new RegExp(
  [
    '`([^`\\n]+)`',                                     // 1 code
    '\\*\\*(?=\\S)([^\\n]*?\\S)\\*\\*',                 // 2 bold
    '\\*(?=[^\\s*])([^*\\n]*?[^\\s*])\\*',              // 3 italic
    '(?<![\\w])_(?=[^\\s_])([^_\\n]*?[^\\s_])_(?![\\w])', // 4 italic
    '\\[([^\\]\\n]+)\\]\\((https?:\\/\\/[^\\s)]+)\\)',   // 5 text, 6 url
    '(https?:\\/\\/[^\\s<>]*[^\\s<>.,:;"\'!?)\\]])',     // 7 bare url
    '(?<![\\w@])@([A-Za-z0-9_-]{1,39})',                // 8 mention
  ].join('|'),
  'g',
);

export function safeUrl(raw: string): string | null {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function link(url: string, text: ComponentChildren, key: number) {
  const href = safeUrl(url);
  if (!href) return <span key={key}>{text}</span>;
  return <a key={key} href={href} target="_blank" rel="noopener noreferrer nofollow ugc">{text}</a>;
}

/** Line breaks inside plain text become <br>. */
function withBreaks(text: string, keyBase: string): ComponentChildren[] {
  const lines = text.split('\n');
  const out: ComponentChildren[] = [];
  lines.forEach((line, i) => {
    if (i > 0) out.push(<br key={`${keyBase}b${i}`} />);
    if (line) out.push(line);
  });
  return out;
}

export function renderInline(text: string, depth = 0): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  let k = 0;
  INLINE.lastIndex = 0;
  const matches = [...text.matchAll(INLINE)];
  for (const m of matches) {
    const at = m.index;
    if (at > last) out.push(...withBreaks(text.slice(last, at), `t${k}`));
    const key = k++;
    if (m[1] !== undefined) out.push(<code key={key}>{m[1]}</code>);
    else if (m[2] !== undefined) out.push(<strong key={key}>{depth < 3 ? renderInline(m[2], depth + 1) : m[2]}</strong>);
    else if (m[3] !== undefined) out.push(<em key={key}>{depth < 3 ? renderInline(m[3], depth + 1) : m[3]}</em>);
    else if (m[4] !== undefined) out.push(<em key={key}>{depth < 3 ? renderInline(m[4], depth + 1) : m[4]}</em>);
    else if (m[5] !== undefined && m[6] !== undefined) out.push(link(m[6], m[5], key));
    else if (m[7] !== undefined) out.push(link(m[7], m[7], key));
    else if (m[8] !== undefined) out.push(<span key={key} class="mention">@{m[8]}</span>);
    last = at + m[0].length;
  }
  if (last < text.length) out.push(...withBreaks(text.slice(last), `t${k}`));
  return out;
}

/** The whole content: code blocks first (nothing inside them is formatted), then inline. */
export function Markdown({ text }: { text: string }) {
  const out: ComponentChildren[] = [];
  let last = 0;
  let k = 0;
  for (const m of text.matchAll(FENCE)) {
    if (m.index > last) out.push(<span key={`i${k}`}>{renderInline(text.slice(last, m.index).replace(/^\n|\n$/g, ''))}</span>);
    out.push(<pre key={`p${k}`}><code>{m[2]}</code></pre>);
    last = m.index + m[0].length;
    k++;
  }
  const rest = last ? text.slice(last).replace(/^\n/, '') : text;
  if (rest) out.push(<span key={`i${k}`}>{renderInline(rest)}</span>);
  return <>{out}</>;
}
