import * as losses from '@reacgan/losses';
import type { LossTermDefinition } from '../terms.js';

/**
 * R1 regularisation (Mescheder et al. 2018), StudioGAN master `worker.py` for backbones other than StyleGAN
 * (`losses.cal_r1_reg`, in every D micro-batch): g = ∂ Σ advOutput(real) / ∂ x_real through the input
 * transforms and D's real pass (the same pass the other terms use), and D adds λ_R1 · 0.5 · mean_i ‖g_i‖²
 * (`losses.r1Penalty`). Needs second-order gradients through D. (StudioGAN v0.3.0 also ran a StyleGAN2 lazy-R1
 * block keyed on `d_reg_interval`, which is "N/A" for these backbones and made it fail; master fixed that.)
 * `r1Place: 'outside_loop'` (StyleGAN2's lazy R1, which master also runs for other backbones) is not implemented.
 */
export const r1Terms: LossTermDefinition = {
  name: 'R1 penalty',
  switches: ['loss.applyR1Reg'],
  check: (config) => (config.loss.applyR1Reg && config.loss.r1Lambda === null ? ['loss.r1Lambda: expected a number (required by loss.applyR1Reg), received null'] : []),
  unsupported: (config) => (config.loss.applyR1Reg && config.loss.r1Place === 'outside_loop' ? ["loss.r1Place ('outside_loop': StyleGAN2's lazy R1 after the D update)"] : []),
  create(config) {
    if (!config.loss.applyR1Reg) return [];
    return [{ name: 'r1', network: 'D', weight: config.loss.r1Lambda!, needs: { realInputGradient: true }, value: ({ real }) => losses.r1Penalty(real.inputGradient!) }];
  },
};
