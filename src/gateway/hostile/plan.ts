/**
 * What the hostile gateway does to one client, as a pure function of a seed: the step it attacks (one kind of
 * message it sends), the tactic (what it does to that message) and how persistently. The details (which
 * payload, which byte, which value) come from a second PRNG seeded from the plan, consumed in message order.
 *
 * A session's seed is mixed from the configured base seed and the client's UDP source port, so one gateway
 * serves a whole campaign of different sessions, and a session is replayed by running the gateway with the same
 * base seed and the client with the same `--local-port`.
 */
import { mixSeed, Prng } from './prng.js';

/** The messages of the gateway that can be attacked, in the order a session meets them. */
export const HOSTILE_STEPS = [
  /** Aggressive mode's second message (unencrypted; HASH_R does not cover our SA answer, VIDs or NAT-D). */
  'am2',
  /** The XAUTH CFG_REQUEST. */
  'xauth-request',
  /** The XAUTH CFG_SET carrying XAUTH_STATUS. */
  'xauth-status',
  /** The mode config CFG_REPLY (or a pushing dialect's CFG_SET). */
  'mode-config',
  /** The first quick mode's QM2. */
  'qm2',
  /** R-U-THERE-ACK answers, and an R-U-THERE of the gateway's own once the tunnel is up (variant 0). */
  'dpd',
  /** A DELETE sent once the tunnel is up (variant: ESP pair, ISAKMP SA, both, unknown SPIs), and at shutdown. */
  'delete',
  /** QM2 of a later quick mode, which the gateway provokes by deleting the first ESP pair once the tunnel is up. */
  'rekey',
  /** The gateway's own rekey once the tunnel is up (only the hostile mode has one): its QM1 and QM3. */
  'gateway-rekey',
] as const;
export type HostileStep = (typeof HOSTILE_STEPS)[number];

/** Mutations of the plaintext payload chain; the message is then hashed and encrypted properly. */
export const PLAIN_OPS = [
  'drop-payload',
  'duplicate-payload',
  'swap-payloads',
  'retype-payload',
  'insert-payload',
  'payload-length',
  'truncate-chain',
  'flip-bytes',
  'empty-body',
  'grow-body',
  /** Attribute lists (mode config / XAUTH attributes, SA transform attributes): drop, repeat, retype, re-size ... */
  'attributes',
  /** Fixed fields of a payload: DOI, protocol, SPI size, notify type, CFG type, identifier, proposal counts ... */
  'fields',
  /** Well-formed payloads with values no gateway should send (mutate-semantic.ts); drawn four times as often. */
  'semantic',
] as const;
/** Mutations of the bytes on the wire, after encryption. */
export const RAW_OPS = ['flip-bit', 'header-field', 'truncate', 'extend', 'garbage-body', 'cookie'] as const;
/** What happens to the datagram on its way. */
export const DELIVERY_OPS = ['drop-once', 'drop-always', 'duplicate', 'delay', 'reorder', 'replay-earlier', 'replay-later'] as const;
/** An extra message sent just before the step's message. */
export const INJECT_OPS = ['r-u-there', 'notify', 'delete-isakmp', 'delete-esp', 'transaction', 'plain-notify'] as const;

export type PlainOp = (typeof PLAIN_OPS)[number];
export type RawOp = (typeof RAW_OPS)[number];
export type DeliveryOp = (typeof DELIVERY_OPS)[number];
export type InjectOp = (typeof INJECT_OPS)[number];

export type Tactic =
  | { readonly layer: 'plain'; readonly op: PlainOp }
  | { readonly layer: 'raw'; readonly op: RawOp }
  | { readonly layer: 'delivery'; readonly op: DeliveryOp }
  | { readonly layer: 'inject'; readonly op: InjectOp };

export interface HostilePlan {
  readonly seed: number;
  readonly step: HostileStep;
  readonly tactic: Tactic;
  /** `once`: only the first transmission of the step's first message; `always`: every one, repeats included. */
  readonly persistence: 'once' | 'always';
  /** `delete`: 0 ESP pair, 1 ISAKMP SA, 2 both, 3 SPIs the client does not have. `dpd`: 0 the gateway probes too, else not. */
  readonly variant: number;
  /** Seeds the details (which payload, which byte, which value). */
  readonly detailSeed: number;
}

const STEP_WEIGHTS: ReadonlyArray<readonly [HostileStep, number]> = [
  ['am2', 15],
  ['xauth-request', 15],
  ['xauth-status', 12],
  ['mode-config', 15],
  ['qm2', 15],
  ['dpd', 8],
  ['delete', 10],
  ['rekey', 10],
  ['gateway-rekey', 10],
];

const LAYER_WEIGHTS: ReadonlyArray<readonly [Tactic['layer'], number]> = [
  ['plain', 45],
  ['raw', 15],
  ['delivery', 25],
  ['inject', 15],
];

/** The seed of the session whose client sends from UDP port `clientPort`. */
export function sessionSeed(baseSeed: number, clientPort: number): number {
  return mixSeed(baseSeed >>> 0, clientPort);
}

/** The plan for a session seed; `onlyStep` fixes the step (the tactic is still the seed's). */
export function planSession(seed: number, onlyStep?: HostileStep): HostilePlan {
  const rng = new Prng(seed);
  const drawnStep = rng.weighted(STEP_WEIGHTS);
  const step = onlyStep ?? drawnStep;
  const layer = rng.weighted(LAYER_WEIGHTS);
  let tactic: Tactic;
  switch (layer) {
    case 'plain':
      tactic = { layer, op: rng.weighted(PLAIN_OPS.map((op) => [op, op === 'semantic' ? 4 : 1] as const)) };
      break;
    case 'raw':
      tactic = { layer, op: rng.pick(RAW_OPS) };
      break;
    case 'delivery':
      tactic = { layer, op: rng.pick(DELIVERY_OPS) };
      break;
    case 'inject': {
      const op = rng.pick(INJECT_OPS);
      // Before phase 1 is done there are no keys to protect an injected message with.
      tactic = { layer, op: step === 'am2' ? 'plain-notify' : op };
      break;
    }
  }
  const persistence = rng.chance(0.5) ? 'once' : 'always';
  return { seed, step, tactic, persistence, variant: rng.below(4), detailSeed: rng.u32() };
}

/** One line for the log: everything needed to recognise the session's treatment. */
export function describePlan(p: HostilePlan): string {
  const variant = p.step === 'delete' ? ` of ${['the ESP pair', 'the ISAKMP SA', 'both', 'unknown SPIs'][p.variant]}` : p.step === 'dpd' ? (p.variant === 0 ? ', gateway probes too' : ', answers only') : '';
  return `step ${p.step}${variant}, ${p.tactic.layer}:${p.tactic.op} (${p.persistence}), details 0x${p.detailSeed.toString(16).padStart(8, '0')}`;
}

/** The `Hostile seed N [step]` setting. */
export interface HostileConfig {
  /** The base seed; each session's is mixed from it and the client's port. */
  readonly seed: number;
  /** Only this step is attacked (else each session's seed picks one). */
  readonly step: HostileStep | undefined;
}
