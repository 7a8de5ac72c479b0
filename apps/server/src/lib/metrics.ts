import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one process. A registry per app, so tests can build several apps. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'openwaba_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'openwaba_http_request_duration_seconds',
      help: 'HTTP request latency by route, method and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    wsConnections: new Gauge({
      name: 'openwaba_ws_connections',
      help: 'Open realtime WebSocket connections',
      registers: [registry],
    }),
    wsDropped: new Counter({
      name: 'openwaba_ws_dropped_total',
      help: 'WebSocket clients disconnected for being too slow',
      registers: [registry],
    }),
    eventLag: new Histogram({
      name: 'openwaba_event_delivery_lag_seconds',
      help: 'Time from an event being stored to its delivery to a WebSocket client',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    jobsFailed: new Counter({
      name: 'openwaba_jobs_failed_total',
      help: 'Job attempts that threw, by queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    jobsCompleted: new Counter({
      name: 'openwaba_jobs_completed_total',
      help: 'Jobs that completed, by queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    jobsQueued: new Gauge({
      name: 'openwaba_jobs_queued',
      help: 'Jobs waiting (created or retry), by queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
