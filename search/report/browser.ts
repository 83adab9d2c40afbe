/**
 * Headless Chromium for the report: a PNG of the page for a ticket or the README, and the
 * browser test. Uses the system's Chromium (Debian's `chromium` package) through
 * playwright-core, which downloads no browser of its own.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser; `CHROMIUM_PATH` overrides it. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/** Headless, and quiet: no sandbox (containers, CI), no GPU, and nothing that calls home. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export class BrowserNotFoundError extends Error {
  override readonly name = 'BrowserNotFoundError';
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new BrowserNotFoundError(
      `no Chromium at ${executablePath}: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
}

export interface ScreenshotOptions {
  /** CSS pixels. @default 1200 */
  readonly width?: number;
  /** Only the top of the page, in CSS pixels. @default - the whole page */
  readonly height?: number;
  /** @default 1 */
  readonly scale?: number;
}

/** A PNG of an HTML file as Chromium draws it, with every request off the file refused. */
export async function screenshotHtml(
  htmlFile: string,
  pngFile: string,
  options: ScreenshotOptions = {},
): Promise<void> {
  const browser = await launchChromium();
  try {
    const width = options.width ?? 1200;
    const page = await browser.newPage({
      viewport: { width, height: options.height ?? 900 },
      deviceScaleFactor: options.scale ?? 1,
    });
    await page.route(/^(?!file:)/, (route) => route.abort());
    await page.goto(pathToFileURL(htmlFile).href);
    await page.screenshot({
      path: pngFile,
      ...(options.height ? { clip: { x: 0, y: 0, width, height: options.height } } : { fullPage: true }),
    });
  } finally {
    await browser.close();
  }
}
