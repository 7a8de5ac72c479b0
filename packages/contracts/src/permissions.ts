import { z } from 'zod';

/** Roles from most to least powerful. A role holds every permission of the roles below it. */
export const ROLES = ['owner', 'admin', 'manager', 'agent', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = (typeof ROLES)[number];

/**
 * The one permission table. Every API route names one permission (or is public/authenticated-only);
 * the value is the least powerful role that holds it.
 */
export const PERMISSIONS = {
  'org.read': 'viewer',
  'org.update': 'admin',
  'members.read': 'viewer',
  'members.invite': 'admin',
  'members.manage': 'admin',
  'numbers.read': 'viewer',
  'numbers.manage': 'admin',
  'contacts.read': 'viewer',
  'contacts.write': 'agent',
  'contacts.import': 'manager',
  'contacts.manage': 'manager',
  /**
   * Sees customers' phone numbers when the organisation hides them (org setting hide_phone_numbers).
   * Managers hold it: they import and export contact lists and run campaigns on phone files anyway.
   */
  'contacts.phones': 'manager',
  'templates.read': 'viewer',
  'templates.manage': 'manager',
  'campaigns.read': 'viewer',
  'campaigns.manage': 'manager',
  'conversations.read': 'viewer',
  'conversations.reply': 'agent',
  'conversations.manage': 'manager',
  'automation.read': 'viewer',
  'automation.manage': 'manager',
  /** The organisation's model, key and budget, each number's AI mode and prompt, the AI call log. */
  'ai.manage': 'admin',
  /** The knowledge base the AI replies are grounded in. */
  'ai.knowledge': 'manager',
  'reports.read': 'viewer',
  'integrations.manage': 'admin',
  'audit.read': 'admin',
  'jobs.manage': 'admin',
} as const satisfies Record<string, Role>;
export type Permission = keyof typeof PERMISSIONS;

export const PermissionName = z.enum(Object.keys(PERMISSIONS) as [Permission]);

export function roleRank(role: Role): number {
  return ROLES.length - ROLES.indexOf(role);
}

/** True when `role` is at least as powerful as `other`. */
export function roleAtLeast(role: Role, other: Role): boolean {
  return roleRank(role) >= roleRank(other);
}

/**
 * @example can('agent', 'contacts.write') // true
 * @example can('viewer', 'org.update') // false
 */
export function can(role: Role, permission: Permission): boolean {
  return roleAtLeast(role, PERMISSIONS[permission]);
}

export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(role, p));
}
