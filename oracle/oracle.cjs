// The JavaScript oracle: the npm packages Cal.com runs, driven by calsim's differential
// tests. One JSON request per line on stdin, one JSON answer per line on stdout.
// Clean-room: each op reproduces a Cal.com code path as ../shared/spec/ describes it,
// with the real packages (handlebars 4.7, zod 3 and 4, node:crypto, JSON).
//
//   {"op":"template","template":T,"data":JSON text}      -> sendPayload's applyTemplate
//   {"op":"stringify","json":JSON text}                   -> JSON.stringify(JSON.parse(json))
//   {"op":"parse_error","text":T}                         -> JSON.parse's SyntaxError message
//   {"op":"hmac","secret":S,"body_b64":B}                 -> createHmac("sha256", S).update(body).digest("hex")
//   {"op":"buffer_hex","text":T}                          -> Buffer.from(T, "hex").toString("hex")
//   {"op":"encrypt","key":K,"iv":hex,"plaintext":P}       -> symmetricEncrypt with a fixed IV
//   {"op":"decrypt","key":K,"text":T}                     -> symmetricDecrypt, or its error
"use strict";
const crypto = require("node:crypto");
const readline = require("node:readline");
const { compile } = require("handlebars");
const zods = { v3: require("zod3"), v4: require("zod4").z || require("zod4") };

// Handlebars's `log` helper writes to the console; stdout carries the answers only.
for (const method of ["log", "info", "debug", "warn", "error", "trace"]) console[method] = () => {};

function jsonParse(text) {
  try {
    return JSON.parse(text);
  } catch (e) {}
  return false;
}

// packages/features/webhooks/lib/sendPayload.ts: content type from the raw template,
// compile + render, &quot; restored, JSON re-serialised (false on a broken render).
function template({ template, data }) {
  const contentType = !template || jsonParse(template) ? "application/json" : "application/x-www-form-urlencoded";
  try {
    const compiled = compile(template)(JSON.parse(data)).replace(/&quot;/g, '"');
    const body = contentType === "application/json" ? JSON.stringify(jsonParse(compiled)) : compiled;
    return { content_type: contentType, body };
  } catch (error) {
    return { throws: String(error && error.message).split("\n")[0] };
  }
}

function stringify({ json }) {
  return { body: JSON.stringify(JSON.parse(json)) };
}

function parseError({ text }) {
  try {
    JSON.parse(text);
    return { ok: true };
  } catch (error) {
    // A lone surrogate in the message (a split emoji) becomes U+FFFD, as Rust strings hold it.
    return { message: error.message.toWellFormed() };
  }
}

function hmac({ secret, body_b64 }) {
  return { hex: crypto.createHmac("sha256", secret).update(Buffer.from(body_b64, "base64")).digest("hex") };
}

function bufferHex({ text }) {
  return { hex: Buffer.from(text, "hex").toString("hex") };
}

// packages/lib/crypto.ts
function encrypt({ key, iv, plaintext }) {
  const cipher = crypto.createCipheriv("aes256", Buffer.from(key, "latin1"), Buffer.from(iv, "hex"));
  let text = cipher.update(plaintext, "utf8", "hex");
  text += cipher.final("hex");
  return { text: iv + ":" + text };
}

function decrypt({ key, text }) {
  try {
    const components = text.split(":");
    const iv = Buffer.from(components.shift() || "", "hex");
    const decipher = crypto.createDecipheriv("aes256", Buffer.from(key, "latin1"), iv);
    let plaintext = decipher.update(components.join(":"), "hex", "utf8");
    plaintext += decipher.final("utf8");
    return { plaintext };
  } catch (error) {
    return { error: error.code || error.message };
  }
}

// The pull's reply as Cal.com reads it (credential-sync.md §5.3, §5.4): undici's
// response.json() (BOM dropped), the apps' unusable-token hooks, zod, the expiry rules,
// {...stored, ...token}, and Postgres jsonb refusing U+0000.
function pull({ path, zod, app, status, body_b64, current, now }) {
  const z = zods[zod];
  const text = new TextDecoder().decode(Buffer.from(body_b64, "base64"));
  let key = JSON.parse(current);
  let invalid = false;
  const ok = status >= 200 && status < 300;
  const result = (accepted, error) => ({ accepted, error: error || null, key: JSON.stringify(key), invalid });
  if (path === "oauth-manager" && !ok) {
    let json;
    try { json = JSON.parse(text); } catch (e) {}
    if ((app === "zoom" || app === "google-calendar") && json?.error === "invalid_grant") invalid = true;
    if (app === "zoom" && json?.code === 124) key = { ...key, expiry_date: now - 3600 * 1000 };
  }
  if (path === "oauth-manager" && !text.trim()) return result(false, "Invalid token response");
  let json;
  try { json = JSON.parse(text); } catch (e) { return result(false, "SyntaxError"); }
  let token;
  if (path === "oauth-manager") {
    if (json && json.myFetchError) return result(false, "myFetchError");
    const schema = z.object({
      access_token: z.string(), token_type: z.string().optional(), refresh_token: z.string().optional(),
      scope: z.string().optional(), expiry_date: z.number().optional(), expires_in: z.number().optional(),
    }).passthrough();
    const parsed = schema.safeParse(json);
    if (!parsed.success) return result(false, "Invalid token response");
    token = parsed.data;
    if (!token.expiry_date && !token.expires_in) token.expiry_date = now + 365 * 24 * 3600 * 1000;
    else if (token.expires_in !== undefined && token.expiry_date === undefined) {
      token.expiry_date = Math.round(now + token.expires_in * 1000);
      delete token.expires_in;
    }
  } else {
    const schema = z.object({ access_token: z.string() }).passthrough().superRefine((data, ctx) => {
      if (!Object.values(data).some((value) => typeof value === "number")) {
        ctx.addIssue({ code: "custom", message: "Missing a field that defines a token expiry date." });
      }
    });
    const parsed = schema.safeParse(json);
    if (!parsed.success) return result(false, "Invalid refreshed tokens were returned");
    token = parsed.data;
    if (!token.refresh_token) token.refresh_token = "refresh_token";
  }
  const merged = { ...key, ...token };
  const hasNul = (value) =>
    typeof value === "string" ? value.includes("\0")
      : value && typeof value === "object" ? Object.entries(value).some(([name, item]) => name.includes("\0") || hasNul(item))
      : false;
  if (hasNul(merged)) return result(false, "jsonb");
  key = merged;
  return result(true);
}

// apps/web/app/api/webhook/app-credential/route.ts (current, App Router), credential-sync.md
// §3.2: secret, request.json(), zod safeParse, user, app, metadata, symmetricDecrypt,
// JSON.parse, the jsonb write. The store has no credential yet, so success is "created".
function push({ zod, secret, sent_secret, body_b64, key, users, apps }) {
  const z = zods[zod];
  const answer = (status, body) => ({ status, body: JSON.stringify(body) });
  if (sent_secret !== secret) return answer(403, { message: "Invalid credential sync secret" });
  try {
    const json = JSON.parse(new TextDecoder().decode(Buffer.from(body_b64, "base64")));
    const parsed = z.object({ userId: z.number().int(), appSlug: z.string(), keys: z.string() }).safeParse(json);
    if (!parsed.success) return answer(400, { error: parsed.error.issues });
    const { userId, appSlug, keys } = parsed.data;
    if (userId > 2147483647 || userId < -2147483648) throw new Error("Prisma: value out of range for Int");
    if (!users.includes(userId)) return answer(404, { message: "User not found" });
    if (!(appSlug in apps)) return answer(404, { message: "App not found" });
    if (!apps[appSlug]) return answer(404, { message: "App not found. Ensure that you have the correct app slug" });
    const stored = JSON.parse(decrypt({ key, text: keys }).plaintext ?? (() => { throw new Error("decrypt"); })());
    const hasNul = (value) =>
      typeof value === "string" ? value.includes("\0")
        : value && typeof value === "object" ? Object.entries(value).some(([name, item]) => name.includes("\0") || hasNul(item))
        : false;
    if (stored === null || hasNul(stored)) throw new Error("jsonb");
    return answer(200, { message: `Credentials created for userId: ${userId}` });
  } catch (error) {
    return answer(500, { message: "Internal server error" });
  }
}

const ops = {
  pull,
  push, template, stringify, parse_error: parseError, hmac, buffer_hex: bufferHex, encrypt, decrypt };

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    const op = ops[request.op];
    answer = op ? op(request) : { oracle_error: "unknown op " + request.op };
  } catch (error) {
    answer = { oracle_error: String(error && error.stack) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
