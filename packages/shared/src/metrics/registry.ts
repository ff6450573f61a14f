import { Registry, collectDefaultMetrics } from 'prom-client';

/** A Prometheus registry with the default process metrics, labelled with the process role. */
export function createMetricsRegistry(service: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
