/**
 * The seed every property-based test runs with: `FUZZ_SEED` from the environment (to replay a failure), else
 * a fixed one, so a run is repeatable. fast-check prints the seed and the shrunk counterexample on failure.
 */
export const FUZZ_SEED = Number.parseInt(process.env.FUZZ_SEED ?? '', 10) || 20_261_207;
