// Nango's Cal.com webhook route as ../shared/spec/webhooks.md §4.2 describes it, on the
// real Express 5 and its express.json (body-parser 2): the JSON parsing, strict mode, raw
// body capture, error messages and query parsing come from the packages themselves.
// Usage: NANGO_SECRET=s node oracle/nango.cjs   (prints the port, then serves on 127.0.0.1)
"use strict";
const crypto = require("node:crypto");
const express = require("express");

const secret = process.env.NANGO_SECRET || "";
const app = express();
app.use(express.json({ verify: (req, _res, buf) => { req.rawBody = buf.toString(); } }));

function validateCalComSignature(headerSignature, rawBody) {
  const signature = crypto.createHmac("sha256", secret).update(rawBody, "utf8").digest("hex");
  const expected = Buffer.from(signature, "hex");
  const received = Buffer.from(headerSignature, "hex");
  if (expected.length !== received.length) return false;
  return crypto.timingSafeEqual(expected, received);
}

app.post("/{*path}", (req, res) => {
  try {
    const signatureHeader = req.headers["x-cal-signature-256"];
    if (secret) {
      if (!signatureHeader) return res.status(401).json({ error: "Missing webhook signature" });
      if (!validateCalComSignature(signatureHeader, req.rawBody)) {
        return res.status(401).json({ error: "Invalid webhook signature" });
      }
    }
    const connectionId = req.query?.["nangoConnectionId"] ?? req.body.nangoConnectionId;
    if (!connectionId) return res.status(400).json({ error: "Webhook payload is missing nangoConnectionId" });
    return res.status(200).json({ status: "success" });
  } catch (error) {
    return res.status(500).json({ error: "internal_error" });
  }
});

app.use((error, _req, res, _next) => {
  if (error && error.type === "entity.parse.failed") {
    return res.status(400).json({ error: { code: "invalid_json", message: error.message } });
  }
  return res.status(500).json({ error: "internal_error" });
});

const server = app.listen(0, "127.0.0.1", () => {
  process.stdout.write(server.address().port + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
