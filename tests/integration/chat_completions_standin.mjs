// A faithful local stand-in for an OpenAI-compatible chat-completions server (no model
// server is reachable here): SSE chunks as OpenAI, Ollama and llama.cpp send them. A user
// turn containing "react" makes it call the add_reaction tool (the ids taken from the
// system prompt), a tool result makes it say "Reacted 👀", "explode" makes it fail with a
// 500, anything else answers "Hello there". Every request is kept in `requests`.
import { createServer } from 'node:http';

const chunk = (delta, finish = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'stand-in',
    choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

function answer(requests, req, res, body) {
  requests.push({ auth: req.headers.authorization, body });
  const last = body.messages[body.messages.length - 1];
  const system = body.messages[0].content;
  if (last.role === 'user' && last.content.includes('explode')) {
    res.writeHead(500, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify({ error: { message: 'model exploded', type: 'server_error' } }));
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  const parts = [': ping\n\n', chunk({ role: 'assistant', content: '' })];
  if (last.role === 'user' && last.content.includes('react')) {
    // A tool call in fragments, with the ids the system prompt names.
    const room = /Here: room "([^"]+)"/.exec(system)[1];
    const messageId = /messageId "([^"]+)"/.exec(system)[1];
    const args = JSON.stringify({ room, messageId, emoji: '👀' });
    parts.push(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'add_reaction', arguments: '' } }] }));
    parts.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 9) } }] }));
    parts.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(9) } }] }));
    parts.push(chunk({}, 'tool_calls'));
  } else if (last.role === 'tool') {
    parts.push(chunk({ content: 'Reacted' }), chunk({ content: ' 👀' }), chunk({}, 'stop'));
  } else {
    parts.push(chunk({ content: 'Hello' }), chunk({ content: ' there' }), chunk({}, 'stop'));
  }
  parts.push('data: [DONE]\n\n');
  // One write per part, a little apart, so the answer really streams.
  let i = 0;
  const next = () => {
    if (i === parts.length) return res.end();
    res.write(parts[i++]);
    setTimeout(next, 5);
  };
  next();
}

/** Listens on 127.0.0.1; resolves with `{url, requests, close}` (url: the completions endpoint). */
export async function startChatCompletions() {
  const requests = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => { text += d; });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') { res.writeHead(404); return res.end(); }
      answer(requests, req, res, JSON.parse(text));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1/chat/completions`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}
