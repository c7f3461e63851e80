/**
 * Live backfill progress: the jobs of `GET /v1/backfills` (state, completion, rows) refreshed as
 * the backfill event stream (`GET /v1/events`) reports shards landing, and the newest events in
 * words. Every shard that lands (`completed`, `failed`) also refreshes the heatmap when it shows
 * that dataset, so its cells turn stored as the shards land.
 */
import type { Api } from '../api.js';
import type { Job } from '../api-types.js';
import { coalesced } from '../coalesce.js';
import { byId, el, fmtError, fmtInt, fmtTime } from '../dom.js';
import { openEventStream } from '../event-stream.js';
import type { EventStreamHandle, StreamEvent } from '../event-stream.js';
import type { Heatmap } from './heatmap.js';

const MAX_EVENTS = 30;
const MAX_JOBS = 12;

export interface BackfillsPanel {
  start(): void;
  stop(): void;
  loadJobs(): Promise<void>;
}

function describe(event: StreamEvent): string | undefined {
  const d = event.data;
  const range = typeof d.start === 'number' && typeof d.end === 'number' ? ` ${fmtTime(d.start)} → ${fmtTime(d.end)}` : '';
  switch (event.type) {
    case 'claimed': return `${String(d.nodeId)}: shard${range} claimed${typeof d.worker === 'string' ? ` by ${d.worker}` : ''}`;
    case 'completed': return `${String(d.nodeId)}: shard${range} ${d.state === 'known_empty' ? 'known empty' : 'stored'} (${fmtInt(Number(d.rowsWritten ?? 0))} rows)`;
    case 'failed': return `${String(d.nodeId)}: shard failed${d.final === true ? '' : ' (will retry)'}: ${String(d.reason)}`;
    case 'job_completed': return `job ${String(d.jobId)} ${String(d.state)} (${Math.round(Number(d.completionRatio) * 100)} %)`;
    case 'expired': return `${String(d.nodeId)}: a lease expired; the shard goes back to pending`;
    default: return undefined;
  }
}

export function createBackfillsPanel(api: Api, heatmap: Heatmap): BackfillsPanel {
  const jobsBox = byId('backfills');
  const eventsList = byId<HTMLOListElement>('backfill-events');
  const status = byId('events-status');
  let stream: EventStreamHandle | undefined;

  const loadJobs = coalesced(async () => {
    try {
      const { jobs } = await api.get<{ jobs: Job[] }>('/v1/backfills');
      const newest = [...jobs].sort((a, b) => b.createdAt - a.createdAt).slice(0, MAX_JOBS);
      jobsBox.replaceChildren(...(newest.length === 0 ? [el('p', { class: 'muted' }, 'no backfill job yet')] : newest.map((job) => {
        const pct = Math.round(job.completionRatio * 100);
        return el('div', { class: `job ${job.state}`, 'data-job': job.id, 'data-state': job.state },
          el('div', {}, el('strong', {}, job.node), ` ${job.state} · ${fmtInt(job.rowsWritten)} rows · ${job.totalShards} shard(s) · ${fmtTime(job.createdAt)}`),
          el('div', { class: 'bar' }, el('span', { style: `width: ${pct}%` })),
          el('small', { class: 'muted' }, `${pct} % · ${job.id}`));
      })));
    } catch (error) {
      jobsBox.replaceChildren(el('p', { class: 'error' }, `backfills: ${fmtError(error)}`));
    }
  });

  function onEvent(event: StreamEvent): void {
    const text = describe(event);
    if (text !== undefined) {
      eventsList.prepend(el('li', { 'data-type': event.type }, text));
      while (eventsList.children.length > MAX_EVENTS) eventsList.lastElementChild?.remove();
    }
    if (event.type === 'completed' || event.type === 'failed' || event.type === 'job_completed' || event.type === 'claimed') void loadJobs();
    const shown = heatmap.query;
    if ((event.type === 'completed' || event.type === 'failed' || event.type === 'job_completed') && shown !== undefined && (event.data.nodeId === undefined || event.data.nodeId === shown.node)) {
      void heatmap.refresh();
    }
  }

  return {
    loadJobs,
    start() {
      stream?.close();
      stream = openEventStream(api, '/v1/events', {
        onEvent,
        onState(state, detail) {
          status.textContent = state === 'connected' ? '● live' : state === 'reconnecting' ? `○ reconnecting (${detail ?? ''})` : '○ stopped';
          status.dataset.state = state;
          if (state === 'connected') void loadJobs();
        },
      });
    },
    stop() {
      stream?.close();
      stream = undefined;
    },
  };
}
