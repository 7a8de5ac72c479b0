// Child processes of the benchmarks: a free port, and a node process whose output is watched.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A node child process; `started` resolves with what `ready` finds in its output. With
 * `BENCH_CPU_PROF=<dir>` each child writes a V8 CPU profile there when it exits.
 */
export function startChild(args, env, ready) {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ...args,
    ],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const started = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`did not start:\n${out.slice(-2000)}`)), 90_000);
    const onData = (c) => {
      out = (out + c).slice(-100_000);
      const m = ready(out);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`exited ${code ?? signal}:\n${out.slice(-2000)}`)));
  });
  started.catch(() => {});
  const exited = new Promise((r) => child.on('exit', (code, signal) => r(code ?? signal)));
  let killed = false;
  return {
    child,
    started,
    exited,
    output: () => out,
    killed: () => killed,
    kill: async (signal = 'SIGTERM') => {
      killed = true;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
