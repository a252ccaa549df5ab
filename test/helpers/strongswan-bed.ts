/** A test bed with strongSwan started in its gateway namespace; the bed is removed again if the start fails. */
import { startStrongSwan, type GatewayOptions, type StrongSwanGateway } from './strongswan.js';
import { createTestbed, destroyTestbed, type Testbed, type TestbedOptions } from './testbed.js';

export async function bedWithStrongSwan(bedOptions: TestbedOptions, gwOptions: Omit<GatewayOptions, 'netns'> = {}): Promise<{ bed: Testbed; gw: StrongSwanGateway }> {
  const bed = createTestbed(bedOptions);
  try {
    return { bed, gw: await startStrongSwan({ netns: bed.gateway, ...gwOptions }) };
  } catch (err) {
    destroyTestbed(bed);
    throw err;
  }
}

/** Stops the gateway and removes the bed (either may be missing when setup failed). */
export async function removeStrongSwanBed(bed: Testbed | undefined, gw: StrongSwanGateway | undefined): Promise<void> {
  await gw?.stop();
  if (bed) destroyTestbed(bed);
}
