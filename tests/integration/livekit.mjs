// Playing LiveKit for the halls suites: LiveKit's server is not reachable here, so the
// tests build and sign webhooks with LiveKit's own server SDK exactly as LiveKit does
// (protobuf JSON `WebhookEvent`, an `AccessToken` carrying the body's `sha256`).
import { createHash } from 'node:crypto';
import { AccessToken, WebhookEvent, Room, ParticipantInfo } from 'livekit-server-sdk';

export const LK_URL = 'wss://livekit.example.test';
export const LK_KEY = 'APIrelaytest';
export const LK_SECRET = 'relay-test-livekit-secret-0123456789abcdef';
export const LK_ARGS = ['--livekit-url', LK_URL, '--livekit-api-key', LK_KEY, '--livekit-api-secret', LK_SECRET];

let eventCounter = 0;
export const secs = (iso) => Math.floor(Date.parse(iso) / 1000);

/** A WebhookEvent body as LiveKit serializes it (protobuf JSON: int64 as strings). */
export function webhookBody(event, hall, { identity, name, at, joinedAt, id, numDropped } = {}) {
  const e = new WebhookEvent({
    id: id ?? `EV_${process.pid}_${++eventCounter}`,
    createdAt: BigInt(at),
    room: new Room({ sid: 'RM_test', name: hall }),
    numDropped: numDropped ?? 0,
  });
  e.event = event;  // the SDK's subclass resets `event` after the base constructor
  if (identity) {
    e.participant = new ParticipantInfo({
      sid: `PA_${identity}`, identity, name: name ?? identity,
      ...(joinedAt !== undefined ? { joinedAt: BigInt(joinedAt) } : {}),
    });
  }
  return e.toJsonString();
}

/** The Authorization LiveKit puts on a webhook: a JWT with the body's sha256. */
export async function signBody(body, { key = LK_KEY, secret = LK_SECRET } = {}) {
  const at = new AccessToken(key, secret, { ttl: '5m' });
  at.sha256 = createHash('sha256').update(body).digest('base64');
  return at.toJwt();
}

export async function postWebhook(r, body, authorization) {
  const res = await fetch(`${r.url}/v1/livekit/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/webhook+json', Authorization: authorization ?? await signBody(body) },
    body,
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

