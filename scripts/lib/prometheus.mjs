// Finds Debian's `prometheus` package (the server and promtool), installing it with apt-get when
// missing, like redisServerBinary in binaries.mjs. Used by scripts/test.mjs (so CI has it for
// test/ops and test/e2e/prometheus-scrape) and by scripts/check-ops.mjs. Node built-ins only.
//
// The package also installs a systemd unit; there is no systemd here and nothing starts it
// (policy-rc.d refuses): the tests run the binary themselves, on loopback.
import { runOk, which } from './proc.mjs';

const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

let installing = null; // one apt-get at a time, even if both binaries are asked for at once

async function aptInstallPrometheus(log) {
  if (process.getuid?.() !== 0) throw new Error('prometheus is missing: apt-get install prometheus (needs root)');
  log("prometheus/promtool missing: installing Debian's prometheus package with apt-get");
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const stdio = ['ignore', 2, 2]; // keep our stdout clean
  await runOk('apt-get', ['update'], { env: aptEnv, stdio });
  await runOk('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { env: aptEnv, stdio });
}

async function binary(name, log) {
  let bin = which(name, EXTRA_DIRS);
  if (bin) return bin;
  installing ??= aptInstallPrometheus(log).finally(() => {
    installing = null;
  });
  await installing;
  bin = which(name, EXTRA_DIRS);
  if (!bin) throw new Error(`${name} still missing after apt-get install prometheus`);
  return bin;
}

/** Path of the Prometheus server binary (Debian's /usr/bin/prometheus). */
export const prometheusBinary = (log) => binary('prometheus', log);

/** Path of promtool (same Debian package). */
export const promtoolBinary = (log) => binary('promtool', log);
