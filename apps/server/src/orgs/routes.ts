import {
  AcceptInvitationBody,
  CreatedInvitation,
  CreateInvitationBody,
  CreateOrgBody,
  InvitationList,
  InvitationLookup,
  InvitationLookupBody,
  Member,
  MemberList,
  Ok,
  Org,
  UpdateMemberBody,
  UpdateOrgBody,
  Uuid,
} from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { optionalAuthOf } from '../auth/access.ts';
import { clientInfo, setSessionCookies } from '../auth/cookies.ts';
import type { AuthService } from '../auth/service.ts';
import type { Config } from '../config.ts';
import { authOf } from '../lib/http.ts';
import type { OrgService } from './service.ts';

const UserIdParams = z.object({ userId: Uuid });
const IdParams = z.object({ id: Uuid });

export const orgRoutes =
  (deps: { orgs: OrgService; auth: AuthService; config: Config }): FastifyPluginAsyncZod =>
  async (app) => {
    const { orgs, auth, config } = deps;
    const tags = ['orgs'];

    app.post(
      '/api/v1/orgs',
      {
        config: { access: 'authenticated' },
        schema: {
          tags,
          summary:
            'Create an organisation (you become its owner): instance administrators only, or anyone when ALLOW_ORG_CREATION is on',
          body: CreateOrgBody,
          response: { 201: Org },
        },
      },
      async (req, reply) => reply.code(201).send(await orgs.createOrg(authOf(req), req.body.name)),
    );

    app.get(
      '/api/v1/org',
      {
        config: { access: 'org.read' },
        schema: { tags, summary: 'The current organisation and its settings', response: { 200: Org } },
      },
      async (req) => orgs.getOrg(authOf(req)),
    );

    app.patch(
      '/api/v1/org',
      {
        config: { access: 'org.update' },
        schema: {
          tags,
          summary: 'Rename the organisation or change its settings',
          body: UpdateOrgBody,
          response: { 200: Org },
        },
      },
      async (req) => orgs.updateOrg(authOf(req), req.body),
    );

    app.get(
      '/api/v1/members',
      {
        config: { access: 'members.read' },
        schema: { tags, summary: 'Members and their roles', response: { 200: MemberList } },
      },
      async (req) => ({ data: await orgs.listMembers(authOf(req)) }),
    );

    app.patch(
      '/api/v1/members/:userId',
      {
        config: { access: 'members.manage' },
        schema: {
          tags,
          summary: "Change a member's role",
          params: UserIdParams,
          body: UpdateMemberBody,
          response: { 200: Member },
        },
      },
      async (req) => orgs.updateMemberRole(authOf(req), req.params.userId, req.body.role),
    );

    app.delete(
      '/api/v1/members/:userId',
      {
        config: { access: 'members.manage' },
        schema: {
          tags,
          summary: 'Remove a member from the organisation',
          params: UserIdParams,
          response: { 200: Ok },
        },
      },
      async (req) => {
        await orgs.removeMember(authOf(req), req.params.userId);
        return { ok: true as const };
      },
    );

    app.get(
      '/api/v1/invitations',
      {
        config: { access: 'members.invite' },
        schema: { tags, summary: 'Pending invitations', response: { 200: InvitationList } },
      },
      async (req) => ({ data: await orgs.listInvitations(authOf(req)) }),
    );

    app.post(
      '/api/v1/invitations',
      {
        config: { access: 'members.invite' },
        schema: {
          tags,
          summary: 'Invite someone by email; the token is returned once',
          body: CreateInvitationBody,
          response: { 201: CreatedInvitation },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await orgs.createInvitation(authOf(req), req.body.email, req.body.role)),
    );

    app.delete(
      '/api/v1/invitations/:id',
      {
        config: { access: 'members.invite' },
        schema: { tags, summary: 'Revoke a pending invitation', params: IdParams, response: { 200: Ok } },
      },
      async (req) => {
        await orgs.revokeInvitation(authOf(req), req.params.id);
        return { ok: true as const };
      },
    );

    // POST, not GET with ?token=: a URL's query string ends up in access logs and browser history.
    app.post(
      '/api/v1/invitations/lookup',
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: 'What an invitation token is for (not whether its email already has an account)',
          body: InvitationLookupBody,
          response: { 200: InvitationLookup },
        },
      },
      async (req) => orgs.lookupInvitation(req.body.token),
    );

    app.post(
      '/api/v1/invitations/accept',
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary:
            "Accept an invitation: signed in as the invited email, or with that account's password (throttled like sign-in), or with a new password for a new account",
          body: AcceptInvitationBody,
          response: { 200: Ok },
        },
      },
      async (req, reply) => {
        const signedIn = await optionalAuthOf(req, auth);
        const tokens = await orgs.acceptInvitation(
          req.body,
          { ...clientInfo(req), requestId: req.id },
          signedIn,
        );
        if (tokens) setSessionCookies(reply, config, tokens);
        return { ok: true as const };
      },
    );
  };
