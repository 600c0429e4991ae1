/**
 * GET /builds: the weekly builds with KB counts and sizes from their report stage.
 */
import type { Hono } from 'hono';
import { summariseReport, weeklyTotals } from '../build-summary.ts';
import type { ClerkDeps, ClerkEnv } from '../clerk-env.ts';
import { buildsWithReports } from '../queries.ts';
import { renderPage } from '../render.ts';
import { buildsView } from '../views/builds-view.ts';

/** Two years of weekly builds per pipeline is plenty for the chart. */
const BUILDS_SHOWN = 104;

export function registerBuildRoutes(app: Hono<ClerkEnv>, deps: ClerkDeps): void {
  app.get('/builds', async (c) => {
    const t = c.get('t');
    const builds = await buildsWithReports(deps.ledger, BUILDS_SHOWN);
    const lines = builds.map((build) => ({ build, summary: summariseReport(build.reportJson) }));
    return renderPage(c, deps, t.buildsTitle, buildsView({ t, timeZone: deps.timeZone, weeks: weeklyTotals(builds), builds: lines }));
  });
}
