/**
 * Vitest globalSetup of the e2e project: builds the dashboard page (web/ → web/dist, with Vite)
 * when web/dist is missing or older than web/'s sources, before any gateway starts, so every
 * `seamless serve` child of the run serves the page of the sources under test.
 */
import { ensureWebBuild } from '../../scripts/build-web.mjs';

export default async function setup(): Promise<void> {
  await ensureWebBuild();
}
