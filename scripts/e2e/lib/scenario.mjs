// What the end-to-end test files share: the model they train (logistic regression on
// Fashion-MNIST), its owner and funding, and small helpers over rounds and events.

import { account, formatFlt, fundModel, initialWeights, logisticConfig, parameterCount, registerModel, UNIT, waitForTrainerBonds, waitForValidators } from './chain.mjs';

export const MINUTE = 60_000;

/** Endowed, neither an authority nor a trainer: whatever it is credited is the owner share. */
export const OWNER_SURI = '//Ferdie//stash';
/** The reward pool: 100 rounds' worth, so every round here releases the full reward. */
export const FUND = 100_000n * UNIT;
export const REWARD_PER_ROUND = 1_000n * UNIT;

/**
 * Logistic regression on 784 pixels → 10 classes; 4 + 4 + 4 block phases; trimmed mean unless
 * `rule` says otherwise.
 */
export function trainingConfig(minUpdates, rule = undefined) {
  return logisticConfig({
    ...(rule ? { rule } : {}),
    learningRate: 0.1,
    commit: 4,
    reveal: 4,
    aggregate: 4,
    minUpdates,
    reward: REWARD_PER_ROUND,
    split: { owner: 0.1, validators: 0.2 },
  });
}

/**
 * Waits for the FL validators, registers and funds a model from the owner account, and waits
 * until every trainer has bonded for it (a trainer that cannot bond fails here, quickly, rather
 * than as missing rounds later).
 */
export async function registerFundedModel(api, net, config) {
  await waitForValidators(api, net.validators.length, 3 * MINUTE);
  const owner = await account(OWNER_SURI);
  const weights = initialWeights(parameterCount(config));
  const registered = await registerModel(api, owner, config, weights);
  await fundModel(api, owner, registered.model, FUND);
  await waitForTrainerBonds(api, registered.model, net.trainers.map((t) => t.address), 3 * MINUTE);
  console.log(`model ${registered.model} registered at block ${registered.blockNumber} by ${owner.address}`);
  return { ...registered, weights, owner };
}

/** Prints a round as it finalizes, so a slow run shows progress. */
export function logRound(r) {
  console.log(`round ${r.round} finalized → v${r.version} ${r.modelHash.slice(0, 10)}… accepted ${r.accepted} rejected ${r.rejected} reward ${formatFlt(r.reward)}`);
}

/** Whether a record belongs to `model` (every fedledger event names its model). */
export function ofModel(model) {
  return (r) => r.data.model?.toNumber() === model;
}
