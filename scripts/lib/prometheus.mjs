// Debian's `prometheus` package (the server and promtool), installed when missing. Used by
// scripts/test.mjs (so CI has it for test/ops and test/e2e/prometheus-scrape) and by
// scripts/check-ops.mjs. The package also installs a systemd unit; there is no systemd here and
// nothing starts it: the tests run the binary themselves, on loopback.
import { aptBinary } from './apt.mjs';

/** Path of the Prometheus server binary (Debian's /usr/bin/prometheus). */
export const prometheusBinary = (log) => aptBinary('prometheus', 'prometheus', log);

/** Path of promtool (same Debian package). */
export const promtoolBinary = (log) => aptBinary('prometheus', 'promtool', log);
