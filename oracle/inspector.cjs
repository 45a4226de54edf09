// Drives calsim's web inspector in headless Chromium (Debian's package, through
// playwright-core) for tests/inspector.rs: loads the page, records console errors,
// reads the rows, performs one action, optionally takes screenshots.
//
//   node oracle/inspector.cjs <base url> [screenshot folder]
//
// Prints one JSON object: {consoleErrors, surfaces, rowsBefore, rowsAfterFire, detail,
// liveAfterFire}.
"use strict";
const { chromium } = require("playwright-core");

async function main() {
  const [base, shots] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const result = { consoleErrors: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    page.on("console", (message) => { if (message.type() === "error") result.consoleErrors.push(message.text()); });
    page.on("pageerror", (error) => result.consoleErrors.push(String(error)));
    await page.goto(base + "/_calsim/ui", { waitUntil: "load", timeout: 15000 });
    await page.waitForSelector("tr.entry", { timeout: 10000 });
    await page.waitForFunction(() => document.getElementById("live").textContent === "live", null, { timeout: 10000 });
    result.surfaces = await page.$$eval("tr.entry td:nth-child(4)", (cells) => [...new Set(cells.map((cell) => cell.textContent))].sort());
    result.rowsBefore = await page.$$eval("tr.entry", (rows) => rows.length);
    if (shots) await page.screenshot({ path: shots + "/inspector.png" });
    await page.click("tr.entry");
    result.detail = await page.$eval("#detail", (node) => node.textContent.slice(0, 20000));
    if (shots) await page.screenshot({ path: shots + "/inspector-detail.png" });
    const receiverMode = await page.$eval(".calcom-only", (node) => node.style.display === "none").catch(() => true);
    if (!receiverMode) {
      await page.selectOption("#a-trigger", "BOOKING_CANCELLED");
      await page.click("#a-fire");
      await page.waitForFunction((before) => document.querySelectorAll("tr.entry").length > before, result.rowsBefore, { timeout: 10000 });
      result.rowsAfterFire = await page.$$eval("tr.entry", (rows) => rows.length);
      result.liveAfterFire = await page.$$eval("tr.entry td:nth-child(8)", (cells) => cells.map((cell) => cell.textContent));
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((error) => { process.stdout.write(JSON.stringify({ driverError: String(error && error.stack || error) }) + "\n"); process.exit(1); });
