import type { LossTermDefinition } from '../terms.js';

/**
 * The classifier-based conditioning loss of the method (AC, 2C, D2D-CE; see `methods.ts`), weight λ =
 * `LOSS.cond_lambda`, StudioGAN v0.3.0 `worker.py`:
 * D: λ · L(D(x_real), y_real) (real samples only: ACGAN-Mod's and ReACGAN's rule); G: λ · L(D(G(z, y)), y).
 */
export const conditioningTerms: LossTermDefinition = {
  name: 'conditioning loss',
  create(config, method) {
    const loss = method.loss;
    if (!loss) return [];
    const lambda = config.loss.condLambda!;
    return [
      { name: 'cond', network: 'D', weight: lambda, value: ({ real }) => loss(real.output, real.headLabels, config.loss, 'main') },
      { name: 'cond', network: 'G', weight: lambda, value: ({ fake }) => loss(fake.output, fake.headLabels, config.loss, 'main') },
    ];
  },
};
