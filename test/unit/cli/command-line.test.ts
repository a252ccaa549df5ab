/**
 * What commander brings to the four commands: a suggestion for a mistyped option, `--help` for the small
 * commands; and that the OPTIONS table is what vpnc's command line accepts. The launchers run the built
 * dist/ (npm run build); the rest runs in-process.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main as pcf2vpnc, type Pcf2VpncIo } from '../../../src/cli/pcf2vpnc.js';
import { parseArgs } from '../../../src/config/args.js';
import { OPTIONS } from '../../../src/config/options.js';
import { UsageError } from '../../../src/errors.js';
import { parseGatewayArgs } from '../../../src/gateway/cli.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function run(command: string, args: string[]) {
  const r = spawnSync('node', [join(ROOT, 'bin', `${command}.js`), ...args], { encoding: 'utf8', env: { ...process.env, VPNC_SYSCONFDIR: '/nonexistent' } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

async function runPcf2vpnc(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Pcf2VpncIo = {
    programName: 'pcf2vpnc',
    readStdin: async () => Buffer.alloc(0),
    writeStdout: async (data) => void (stdout += data.toString()),
    writeStderr: async (text) => void (stderr += text),
  };
  const status = await pcf2vpnc(args, io);
  return { stdout, stderr, status };
}

describe('a mistyped option gets a suggestion, in one line, exit 1', () => {
  it('vpnc', () => {
    const r = run('vpnc', ['--gatway', '198.51.100.1']);
    expect(r.stderr).toBe('vpnc: unknown option "--gatway" (did you mean --gateway?)\nTry `vpnc --long-help` for the list of options.\n');
    expect([r.status, r.stdout]).toEqual([1, '']);
  });

  it('vpnc: several candidates, our commands among them', () => {
    expect(() => parseArgs(['--d', 'x'])).toThrow(new UsageError('unknown option "--d" (did you mean one of --dh, --id?)'));
    expect(() => parseArgs(['--print-confg'])).toThrow(new UsageError('unknown option "--print-confg" (did you mean --print-config?)'));
  });

  it('vpnc: a flag given a value is refused naming it (vpnc ignores the value)', () => {
    expect(() => parseArgs(['--no-detach=no'])).toThrow(new UsageError('option --no-detach takes no value, got "--no-detach=no"'));
    expect(() => parseArgs(['--print-config='])).toThrow(new UsageError('option --print-config takes no value, got "--print-config="'));
    expect(() => parseArgs(['--no-ipv6x'])).toThrow(new UsageError('unknown option "--no-ipv6x" (did you mean --no-ipv6?)'));
  });

  it('vpnc-disconnect', () => {
    const r = run('vpnc-disconnect', ['--pidfile', '/run/x.pid']);
    expect(r.stderr).toBe('vpnc-disconnect: unknown option --pidfile (did you mean --pid-file?)\nUsage: vpnc-disconnect [PROFILE | --pid-file FILE]\n');
    expect([r.status, r.stdout]).toEqual([1, '']);
  });

  it('pcf2vpnc', async () => {
    expect(await runPcf2vpnc(['--hlep', 'a.pcf'])).toEqual({
      stdout: '',
      stderr: 'pcf2vpnc: unknown option --hlep (did you mean --help?)\nUsage: pcf2vpnc <pcf file> [vpnc file]\n',
      status: 1,
    });
  });

  it('vpnc-gateway', () => {
    expect(() => parseGatewayArgs(['--netn', 'x', 'gw.conf'])).toThrow(new UsageError('unknown option --netn (did you mean --netns?)'));
    const r = run('vpnc-gateway', ['--netn', 'x', 'gw.conf']);
    expect(r.stderr).toBe('vpnc-gateway: unknown option --netn (did you mean --netns?)\nUsage: vpnc-gateway [--debug <0..99>] [--netns <name>] <config file>\n');
    expect([r.status, r.stdout]).toEqual([1, '']);
  });
});

describe('--help of the small commands: usage, arguments and options on stdout, exit 0', () => {
  it('vpnc-disconnect', () => {
    for (const flag of ['--help', '-h']) {
      const r = run('vpnc-disconnect', [flag]);
      expect(r.stdout).toMatch(/^Usage: vpnc-disconnect \[PROFILE \| --pid-file FILE\]\n\nStops a running vpnc/);
      expect(r.stdout).toMatch(/^ {2}PROFILE +a profile whose Pidfile names the client/m);
      expect(r.stdout).toMatch(/^ {2}--pid-file <FILE> +the pid file of the client$/m);
      expect([r.status, r.stderr]).toEqual([0, '']);
    }
  });

  it('pcf2vpnc (without arguments it still prints Debian\'s usage on stderr)', async () => {
    const r = await runPcf2vpnc(['--help']);
    expect(r.stdout).toMatch(/^Usage: pcf2vpnc <pcf file> \[vpnc file\]\n\nconverts VPN-config files from pcf to vpnc-format\n/);
    expect(r.stdout).toMatch(/^ {2}pcf file +the Cisco VPN client profile \(- for standard input\)$/m);
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('vpnc-gateway', () => {
    expect(parseGatewayArgs(['-h']).action).toBe('help');
    expect(parseGatewayArgs(['--version']).action).toBe('version');
    const r = run('vpnc-gateway', ['--help']);
    expect(r.stdout).toMatch(/^Usage: vpnc-gateway \[--debug <0\.\.99>\] \[--netns <name>\] <config file>\n\nA test IKEv1 concentrator/);
    expect(r.stdout).toMatch(/^ {2}--netns <NAME> +open sockets and the TUN device/m);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(run('vpnc-gateway', ['--version']).stdout).toMatch(/^vpnc-gateway \d+\.\d+\.\d+\n$/);
  });
});

describe('vpnc: the OPTIONS table is the command line', () => {
  it('every row with an option is accepted, in both forms for a value, and sets its setting', () => {
    for (const spec of OPTIONS) {
      if (spec.option === null) continue;
      const forms = spec.arg === null ? [[spec.option]] : [[spec.option, 'v 1'], [`${spec.option}=v 1`]];
      for (const argv of forms) {
        const a = parseArgs(argv);
        expect(a.settings.get(spec.id), argv.join(' ')).toEqual({ value: spec.arg === null ? spec.option : 'v 1', origin: { kind: 'option', option: spec.option } });
        expect(a.profiles).toEqual([]);
      }
    }
  });

  it('two options of one setting: the last given wins', () => {
    expect(parseArgs(['--enable-weak-encryption', '--enable-1des']).settings.get('weakEncryption')?.origin).toEqual({ kind: 'option', option: '--enable-1des' });
    expect(parseArgs(['--enable-1des', '--enable-weak-encryption']).settings.get('weakEncryption')?.origin).toEqual({ kind: 'option', option: '--enable-weak-encryption' });
  });

  it('profiles in order around options, `-` among them; a value may start with a dash', () => {
    const a = parseArgs(['a', '--id', '-x', '-', '--gateway=gw', 'b']);
    expect(a.profiles).toEqual(['a', '-', 'b']);
    expect([a.settings.get('id')?.value, a.settings.get('gateway')?.value]).toEqual(['-x', 'gw']);
  });
});
