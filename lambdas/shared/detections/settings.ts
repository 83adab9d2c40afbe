/**
 * The detections part of the deployment config, validated like the rest: watchlists, each
 * rule's switch and tunables, and suppressions with an expiry and a reason. The detector reads
 * it from its environment as JSON; `detect` from the config file.
 */
import * as z from 'zod';
import { countryCode } from '../countries';
import type { AnyRule, Watchlists } from './rule';

export interface Suppression {
  readonly rule: string;
  /** Only findings about this person (uuid or e-mail); absent: anyone. */
  readonly person?: string;
  /** Only findings from this IP; absent: any. */
  readonly ip?: string;
  /** The last day it applies (YYYY-MM-DD, UTC, inclusive). */
  readonly until: string;
  readonly reason: string;
}

export interface DetectionSettings {
  readonly watchlists: Watchlists;
  /** Per rule: `enabled` (default true) and tunables overriding the rule's defaults. */
  readonly rules: Readonly<Record<string, Readonly<Record<string, number | boolean>>>>;
  readonly suppressions: readonly Suppression[];
}

const ids = z.array(z.string().trim().min(1)).default([]);

export function detectionSettingsSchema(rules: readonly AnyRule[]) {
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  const known = [...byId.keys()].join(', ');
  return z
    .strictObject({
      watchlists: z
        .strictObject({
          privilegedVaults: ids,
          privilegedGroups: ids,
          sensitiveItems: ids,
          allowedClientApps: ids,
          deniedCountries: z
            .array(z.string())
            .default([])
            .transform((values, ctx) =>
              values.map((value) => {
                const code = countryCode(value);
                if (!code)
                  ctx.addIssue({
                    code: 'custom',
                    message: `"${value}" is not a country name or ISO 3166 code`,
                  });
                return code ?? value;
              }),
            ),
        })
        .default({
          privilegedVaults: [],
          privilegedGroups: [],
          sensitiveItems: [],
          allowedClientApps: [],
          deniedCountries: [],
        }),
      rules: z
        .record(z.string(), z.record(z.string(), z.union([z.number(), z.boolean()])))
        .default({})
        .superRefine((overrides, ctx) => {
          for (const [id, values] of Object.entries(overrides)) {
            const rule = byId.get(id);
            if (!rule) {
              ctx.addIssue({
                code: 'custom',
                path: [id],
                message: `no rule "${id}"; the rules are: ${known}`,
              });
              continue;
            }
            for (const [name, value] of Object.entries(values)) {
              if (name === 'enabled') {
                if (typeof value !== 'boolean')
                  ctx.addIssue({ code: 'custom', path: [id, name], message: 'must be true or false' });
                continue;
              }
              if (!(name in rule.defaults)) {
                ctx.addIssue({
                  code: 'custom',
                  path: [id, name],
                  message: `rule ${id} has no tunable "${name}"; it has: enabled, ${Object.keys(rule.defaults).join(', ') || '(none)'}`,
                });
              } else if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
                ctx.addIssue({ code: 'custom', path: [id, name], message: 'must be a positive number' });
              }
            }
          }
        }),
      suppressions: z
        .array(
          z.strictObject({
            rule: z.string().refine((id) => byId.has(id), { message: `must name a rule: ${known}` }),
            person: z.string().trim().min(1).optional(),
            ip: z.string().trim().min(1).optional(),
            until: z
              .string()
              .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD (the last day it applies)'),
            reason: z.string().trim().min(10, 'must say why, in a few words (at least 10 characters)'),
          }),
        )
        .default([]),
    })
    .default({
      watchlists: {
        privilegedVaults: [],
        privilegedGroups: [],
        sensitiveItems: [],
        allowedClientApps: [],
        deniedCountries: [],
      },
      rules: {},
      suppressions: [],
    });
}

/** The settings a rule runs with: its defaults, overridden by the config. */
export function ruleSettings(rule: AnyRule, settings: DetectionSettings): Record<string, number> {
  const overrides = settings.rules[rule.id] ?? {};
  const values: Record<string, number> = { ...rule.defaults };
  for (const [name, value] of Object.entries(overrides)) if (typeof value === 'number') values[name] = value;
  return values;
}

export function ruleEnabled(rule: AnyRule, settings: DetectionSettings): boolean {
  const flag = settings.rules[rule.id]?.enabled;
  return typeof flag === 'boolean' ? flag : rule.enabledByDefault !== false;
}
