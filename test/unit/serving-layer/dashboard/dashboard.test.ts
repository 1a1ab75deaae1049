/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../../serving-layer/api/api-server.ts';
import { loadDashboardAssets } from '../../../../serving-layer/dashboard/assets.ts';
import { MINUTE_MS, minuteOf } from '../../../../shared/aggregation/time.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { testApp } from '../api/test-app.ts';

const CHROMIUM = '/usr/bin/chromium';
const now = minuteOf(Date.now());
const profile = mkdtempSync(join(tmpdir(), 'adclick-chromium-'));
let server: ApiServer;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  // The views: speed holds the last 20 minutes; US and KR clicks rank the ads differently.
  const { deps, speed, batch } = testApp();
  batch.wm = now - 30 * MINUTE_MS;
  for (let i = 0; i < 20; i++) {
    const m = now - i * MINUTE_MS;
    speed.set('ad-us', 'all', m, 5).set('ad-us', 'country=US', m, 5);
    speed.set('ad-kr', 'all', m, 3).set('ad-kr', 'country=KR', m, 3);
    speed.set('ad-both', 'all', m, 4).set('ad-both', 'country=US', m, 1).set('ad-both', 'country=KR', m, 3);
  }
  server = new ApiServer(
    // The server's clock stays inside the newest seeded minute: a minute rolling over while
    // Chromium starts must not move popular_ads' default window off the data.
    { ...deps, logger: silentLogger(), dashboard: loadDashboardAssets(), now: () => now + 30_000 },
    { host: '127.0.0.1', port: 0 },
  );
  await server.start();
  // A fresh profile folder per run (playwright passes it as --user-data-dir).
  browser = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    .catch((error: Error) => {
      throw new Error(
        `Chromium at ${CHROMIUM} did not start (apt-get install -y chromium): ${error.message}`,
      );
    });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(profile, { recursive: true, force: true });
});

const topRows = () =>
  page.$$eval('#top-rows tr', (rows) => rows.map((r) => [...r.children].map((td) => td.textContent)));
type Popular = { ads: Array<{ ad_id: string; count: number }> };
const popular = async (url: string) => (await (await fetch(url)).json()) as Popular;
const loads = () => page.evaluate(() => Number(document.body.dataset.loaded ?? 0));

describe('dashboard in headless Chromium', () => {
  it('loads, shows the top ads the API gives, draws both charts', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => Number(document.body.dataset.loaded ?? 0) >= 1, undefined, {
      timeout: 15_000,
    });
    const api = await popular(`${server.url}/v1/ads/popular_ads?count=10&window=1`);
    expect(api.ads.length).toBe(3);
    expect(await topRows()).toEqual(
      api.ads.map((a: { ad_id: string; count: number }, i: number) => [
        String(i + 1),
        a.ad_id,
        String(a.count),
      ]),
    );
    expect(await page.$$eval('#window option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual([
      '1',
      '5',
      '15',
      '60',
    ]);
    // Chart.js keeps its instances; both charts exist and hold the data shown.
    const charts = await page.evaluate(() => {
      const C = (
        window as unknown as { Chart: { getChart(id: string): { data: { labels: unknown[] } } | undefined } }
      ).Chart;
      return ['top-chart', 'series-chart'].map((id) => C.getChart(id)?.data.labels.length ?? -1);
    });
    expect(charts[0]).toBe(3);
    expect(charts[1]).toBe(60);
    expect(await page.textContent('#series-total')).toBe('ad-us: 100 clicks');
    expect(await page.textContent('#health')).toContain('batch watermark');
    expect(await page.textContent('#recon-rows')).toContain('2026-01-05');
    expect(errors).toEqual([]);
  });

  it('switches window and country, and the table follows the API', async () => {
    const before = await loads();
    await page.selectOption('#window', '5');
    await page.fill('#country', 'kr');
    await page.dispatchEvent('#country', 'change');
    await page.waitForFunction((n) => Number(document.body.dataset.loaded ?? 0) > n + 1, before, {
      timeout: 15_000,
    });
    const api = await (
      await fetch(`${server.url}/v1/ads/popular_ads?count=10&window=5&filter=country:KR`)
    ).json();
    expect(await topRows()).toEqual([
      ['1', 'ad-both', String(api.ads[0]!.count)],
      ['2', 'ad-kr', String(api.ads[1]!.count)],
    ]);
    expect(api.ads[0]!.count).toBe(15);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: join('test-results', 'dashboard.png'), fullPage: true });
  });
});
