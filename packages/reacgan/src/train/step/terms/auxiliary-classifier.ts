import type { LossTermDefinition } from '../terms.js';

/**
 * The auxiliary classifiers of `MODEL.aux_cls_type` on top of a classifier-based method (AC, 2C, D2DCE),
 * StudioGAN v0.3.0 `worker.py` (TAC as at v0.3.0: master's TAC reads the main head and is broken,
 * reacgan-reference.md §8.2):
 *
 * - ADC (auxiliary discriminative classifier): the class space doubles, reals are class 2y and fakes 2y + 1
 *   (D maps the labels; its fake pass runs with `adcFake`). D adds λ·L(D(x_fake), 2y + 1) ('adc');
 *   G adds −λ·L(D(G(z), adcFake), 2y + 1) ('adc', a second D pass on the same transformed fakes), its 'cond'
 *   term reading class 2y.
 * - TAC (twin auxiliary classifier): a twin head (`linear_mi`, `embedding_mi`) learns the fakes' classes.
 *   D adds λ_tac_dis·L_twin(D(x_fake), y) ('tac'); G adds −λ_tac_gen·L_twin(D(G(z)), y) ('tac').
 */
export const auxiliaryClassifierTerms: LossTermDefinition = {
  name: 'auxiliary classifier (ADC, TAC)',
  switches: ['model.auxClsType=ADC', 'model.auxClsType=TAC'],
  check(config) {
    const { auxClsType } = config.model;
    if (auxClsType === 'ADC' && config.optimization.fuseRealFake) {
      return ["optimization.fuseRealFake: expected false with model.auxClsType 'ADC' (D maps real labels to 2y and fake labels to 2y + 1, so the halves need separate passes), received true"];
    }
    if (auxClsType !== 'TAC') return [];
    return (['tacDisLambda', 'tacGenLambda'] as const).filter((key) => config.loss[key] === null).map((key) => `loss.${key}: expected a number (required by model.auxClsType 'TAC'), received null`);
  },
  create(config, method) {
    const loss = method.loss;
    if (!loss) return [];
    const { auxClsType } = config.model;
    const lambda = config.loss.condLambda!;
    if (auxClsType === 'ADC') {
      return [
        { name: 'adc', network: 'D', weight: lambda, value: ({ fake }) => loss(fake.output, fake.headLabels, config.loss, 'main') },
        {
          name: 'adc',
          network: 'G',
          weight: -lambda,
          value: (ctx) => {
            const out = ctx.discriminate(ctx.fake.transformed, ctx.fake.labelTensor, { adcFake: true });
            return loss(out, out.label!, config.loss, 'main');
          },
        },
      ];
    }
    if (auxClsType === 'TAC') {
      return [
        { name: 'tac', network: 'D', weight: config.loss.tacDisLambda!, value: ({ fake }) => loss(fake.output, fake.labels, config.loss, 'twin') },
        { name: 'tac', network: 'G', weight: -config.loss.tacGenLambda!, value: ({ fake }) => loss(fake.output, fake.labels, config.loss, 'twin') },
      ];
    }
    return [];
  },
};
