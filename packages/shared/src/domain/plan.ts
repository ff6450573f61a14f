export const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** Credits a new user starts with, by plan (API.md, "Credits"). */
export const PLAN_STARTING_CREDITS: Record<Plan, number> = {
  free: 20,
  starter: 500,
  pro: 2000,
  enterprise: 10000,
};
