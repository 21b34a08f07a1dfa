// Takes a screenshot of a page of a running Alcove, to look at what a change shows.
//   node scripts/screenshot.ts http://127.0.0.1:8080/ /tmp/overview.png [width] [height]
import { launchChromium, newPage } from '../test/support/chromium.ts';

const [url, output, width = '1280', height = '800'] = process.argv.slice(2);
if (url === undefined || output === undefined) {
  process.stderr.write('usage: node scripts/screenshot.ts URL OUTPUT.png [width] [height]\n');
  process.exit(2);
}
const { browser, close } = await launchChromium();
try {
  const page = await newPage(browser, { width: Number(width), height: Number(height) });
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.screenshot({ path: output, fullPage: true });
  process.stdout.write(`${output}\n`);
} finally {
  await close();
}
