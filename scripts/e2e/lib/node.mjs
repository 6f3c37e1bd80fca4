// Starting and stopping real fedledger-node processes on loopback for the end-to-end tests.
//
// Every node gets free ports and its own temporary base path, logs to a file there, and is
// stopped (SIGTERM, then SIGKILL) by `stop()`, which the tests call in `after` hooks so a
// failing test never leaves a node behind.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The node binary: $FEDLEDGER_NODE, else the release build in $CARGO_TARGET_DIR. */
export function nodeBinary() {
  if (process.env.FEDLEDGER_NODE) return process.env.FEDLEDGER_NODE;
  return releaseBinary('fedledger-node');
}

/** A binary of the release build in $CARGO_TARGET_DIR (the one target directory of every script). */
export function releaseBinary(name) {
  const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/fedledger/target');
  return join(target, 'release', name);
}

/** The node built with the `attacks` feature (only it accepts `--fl-attack`). */
export function attacksBinary() {
  return process.env.FEDLEDGER_NODE_ATTACKS ?? releaseBinary('fedledger-node-attacks');
}

/** `fedledger-sim`, whose `evaluate` subcommand measures test accuracy of model weights. */
export function simBinary() {
  return process.env.FEDLEDGER_SIM ?? releaseBinary('fedledger-sim');
}

const execFileAsync = promisify(execFile);

/**
 * Runs a one-shot node subcommand (`key insert`, `key inspect-node-key`, …) and returns its
 * trimmed stdout; the error carries stderr, which is where the node explains itself.
 */
export async function runNodeCommand(args, { binary = nodeBinary() } = {}) {
  try {
    const { stdout } = await execFileAsync(binary, args, { cwd: repoRoot, maxBuffer: 16 << 20 });
    return stdout.trim();
  } catch (e) {
    throw new Error(`${binary} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** Calls a JSON-RPC method over HTTP; throws on transport or RPC errors. */
export async function rpcCall(rpcPort, method, params = []) {
  const response = await fetch(`http://127.0.0.1:${rpcPort}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/**
 * Starts `fedledger-node` and resolves once its RPC server answers.
 *
 * @param {object} options
 * @param {string[]} options.args   chain and role flags, e.g. ['--dev'] or ['--chain', 'local', '--alice']
 * @param {string} [options.name]   a label for logs and the temporary directory
 * @param {string} [options.basePath] reuse a base path (restart tests); a fresh one otherwise
 * @param {number} [options.timeoutMs] how long to wait for the RPC server
 * @param {string} [options.binary] the executable; `nodeBinary()` unless told otherwise
 * @param {{rpc?: number, p2p?: number, prometheus?: number}} [options.ports] fixed ports, so a
 *   restarted node is found where its peers (bootnodes) and clients expect it; free ones otherwise
 */
export async function startNode({
  args,
  name = 'node',
  basePath,
  timeoutMs = 60_000,
  binary = nodeBinary(),
  ports = {},
}) {
  const ownsBasePath = !basePath;
  basePath ??= mkdtempSync(join(tmpdir(), `fedledger-${name}-`));
  const rpcPort = ports.rpc ?? (await freePort());
  const p2pPort = ports.p2p ?? (await freePort());
  const prometheusPort = ports.prometheus ?? (await freePort());
  const logPath = join(basePath, `${name}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(
    binary,
    [
      ...args,
      '--base-path', basePath,
      '--rpc-port', String(rpcPort),
      '--prometheus-port', String(prometheusPort),
      '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
      '--no-mdns',
      '--no-telemetry',
      '--name', name,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  // Keep the latest output in memory too: the log file may not be flushed when we report.
  let recent = '';
  const remember = (chunk) => { recent = (recent + chunk.toString()).slice(-16_384); };
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);
  let exited = null;
  // One promise for the exit, so every waiter sees it even if the process is already gone.
  const exitPromise = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolveExit(exited);
    });
  });

  const node = {
    name, basePath, rpcPort, p2pPort, prometheusPort, logPath, child,
    rpcUrl: `ws://127.0.0.1:${rpcPort}`,
    get exited() { return exited; },
    log: () => { try { return readFileSync(logPath, 'utf8') || recent; } catch { return recent; } },
    /** Stops the node: SIGTERM, then SIGKILL after 20 s; removes the base path it created. */
    async stop({ keepBasePath = false } = {}) {
      if (exited === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exitPromise;
        clearTimeout(killer);
      }
      if (ownsBasePath && !keepBasePath) rmSync(basePath, { recursive: true, force: true });
    },
    /**
     * Sends `signal` (SIGKILL by default: a crash, no clean shutdown) and waits for the exit.
     * The base path stays, so the node can be started again on it.
     */
    async kill(signal = 'SIGKILL') {
      if (exited === null) {
        child.kill(signal);
        await exitPromise;
      }
      return exited;
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) {
      throw new Error(`${name} exited (${JSON.stringify(exited)}) before its RPC came up:\n${tail(node.log())}`);
    }
    try {
      await rpcCall(rpcPort, 'system_health');
      return node;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await node.stop({ keepBasePath: true });
      throw new Error(`${name}: RPC did not answer within ${timeoutMs} ms:\n${tail(node.log())}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The last lines of a log, for error messages. */
export function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}
