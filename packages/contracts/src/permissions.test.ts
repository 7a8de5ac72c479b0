import { describe, expect, it } from 'vitest';
import { can, PERMISSIONS, permissionsOf, ROLES, roleAtLeast } from './permissions.ts';

describe('roles and permissions', () => {
  it('orders roles owner > admin > manager > agent > viewer', () => {
    expect(roleAtLeast('owner', 'admin')).toBe(true);
    expect(roleAtLeast('agent', 'manager')).toBe(false);
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
  });

  it('each role holds every permission of the roles below it', () => {
    for (let i = 0; i < ROLES.length - 1; i++) {
      const higher = new Set(permissionsOf(ROLES[i]!));
      for (const p of permissionsOf(ROLES[i + 1]!))
        expect(higher.has(p), `${ROLES[i]} lacks ${p}`).toBe(true);
    }
  });

  it('the owner holds everything; a viewer only reads', () => {
    expect(permissionsOf('owner')).toEqual(Object.keys(PERMISSIONS));
    expect(permissionsOf('viewer').every((p) => p.endsWith('.read'))).toBe(true);
    expect(can('agent', 'conversations.reply')).toBe(true);
    expect(can('agent', 'campaigns.manage')).toBe(false);
  });
});
