import type { CreateNumberBody, UpdateNumberBody, WaNumber } from '@openwaba/contracts';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import { AppError } from '../lib/errors.ts';
import { checkWithMeta, openOrAsk } from './check.ts';
import type { NumberDeps } from './deps.ts';
import { readWaba } from './number-health.ts';
import { healthColumns, healthRecordOf, toNumber } from './number-view.ts';
import { businessColumns } from './portfolio.ts';
import {
  insertHealthRecord,
  insertNumber,
  isPhoneNumberIdTaken,
  type NumberRow,
  updateNumber,
} from './repo.ts';

/** Connects a number: its credentials checked with Meta, then sealed at rest. Audited. */
export async function connectNumber(
  deps: Pick<NumberDeps, 'db' | 'box' | 'whatsapp' | 'log' | 'credentialsChanged'>,
  ctx: AuthContext,
  body: CreateNumberBody,
): Promise<WaNumber> {
  const { db, box } = deps;
  if (await isPhoneNumberIdTaken(db, body.phone_number_id)) {
    throw new AppError('CONFLICT', `Phone number id ${body.phone_number_id} is already connected`);
  }
  const { info, appId } = await checkWithMeta(
    deps.whatsapp,
    { phoneNumberId: body.phone_number_id, accessToken: body.access_token, appSecret: body.app_secret },
    body.waba_id,
    deps.log,
  );
  const waba = await deps.whatsapp
    .getWaba({ wabaId: body.waba_id, accessToken: body.access_token })
    .catch(() => undefined);
  const created = await db.transaction(async (tx) => {
    const row = await insertNumber(tx, ctx.orgId, {
      displayName: body.display_name,
      phoneNumberId: body.phone_number_id,
      wabaId: body.waba_id,
      accessTokenSealed: box.seal(body.access_token),
      appSecretSealed: box.seal(body.app_secret),
      verifyTokenSealed: box.seal(body.verify_token),
      appId,
      systemPrompt: body.system_prompt ?? null,
      ...healthColumns(info),
      ...(waba ? businessColumns({ businessIdSource: null }, waba) : {}),
      marketingMessagesStatus: waba?.marketing_messages_onboarding_status ?? null,
    });
    if (!row) throw new AppError('CONFLICT', `Phone number id ${body.phone_number_id} is already connected`);
    await insertHealthRecord(tx, row.id, 'connect', healthRecordOf(row));
    const { access_token: _a, app_secret: _s, verify_token: _v, ...visible } = body;
    await recordAudit(tx, actorOf(ctx), {
      action: 'number.create',
      entityType: 'number',
      entityId: row.id,
      after: visible,
    });
    return toNumber(row);
  });
  await deps.credentialsChanged(created.id);
  return created;
}

/**
 * Edits a number. A new token or app secret is checked with Meta (and the pair proven to belong
 * together) before it replaces the old one; a new token reactivates the number. Audited.
 */
export async function editNumber(
  deps: Pick<NumberDeps, 'db' | 'box' | 'log' | 'providerFor' | 'credentialsChanged'>,
  ctx: AuthContext,
  row: NumberRow,
  body: UpdateNumberBody,
): Promise<WaNumber> {
  const { db, box } = deps;
  const id = row.id;
  const checked =
    body.access_token || body.app_secret
      ? await checkWithMeta(
          deps.providerFor(row),
          {
            phoneNumberId: row.phoneNumberId,
            accessToken:
              body.access_token ?? openOrAsk(() => box.open(row.accessTokenSealed), 'access_token'),
            appSecret: body.app_secret ?? openOrAsk(() => box.open(row.appSecretSealed), 'app_secret'),
          },
          row.wabaId,
          deps.log,
        )
      : undefined;
  const waba =
    body.business_id === null || body.marketing_messages_api === true
      ? await readWaba(
          deps,
          row,
          body.access_token ?? openOrAsk(() => box.open(row.accessTokenSealed), 'access_token'),
        )
      : undefined;
  if (body.marketing_messages_api === true && waba?.marketing_messages_onboarding_status !== 'ONBOARDED') {
    throw new AppError(
      'CONFLICT',
      `The WhatsApp Business Account ${row.wabaId} is not onboarded to the Marketing Messages API (Meta says: ${waba?.marketing_messages_onboarding_status ?? 'no answer'}). Accept the Marketing Messages API terms in WhatsApp Manager, then turn it on again.`,
      { details: { onboarding_status: waba?.marketing_messages_onboarding_status ?? null } },
    );
  }
  const updated = await db.transaction(async (tx) => {
    const next = await updateNumber(tx, ctx.orgId, id, {
      ...(body.display_name !== undefined ? { displayName: body.display_name } : {}),
      ...(body.system_prompt !== undefined ? { systemPrompt: body.system_prompt } : {}),
      ...(body.access_token
        ? { accessTokenSealed: box.seal(body.access_token), status: 'active', inactiveReason: null }
        : {}),
      ...(body.app_secret ? { appSecretSealed: box.seal(body.app_secret) } : {}),
      ...(body.verify_token ? { verifyTokenSealed: box.seal(body.verify_token) } : {}),
      ...(checked ? { ...healthColumns(checked.info), appId: checked.appId ?? row.appId } : {}),
      // Set by hand: wins over what Meta said at this check (Meta's word comes back with the next one).
      ...(body.coexistence !== undefined ? { coexistence: body.coexistence } : {}),
      ...(body.business_id
        ? { businessId: body.business_id, businessName: null, businessIdSource: 'manual' }
        : {}),
      ...(body.business_id === null
        ? {
            businessIdSource: null,
            businessId: null,
            businessName: null,
            ...(waba ? businessColumns({ businessIdSource: null }, waba) : {}),
          }
        : {}),
      ...(body.marketing_messages_api !== undefined
        ? { marketingMessagesApi: body.marketing_messages_api }
        : {}),
      ...(waba ? { marketingMessagesStatus: waba.marketing_messages_onboarding_status ?? null } : {}),
      updatedAt: new Date(),
    });
    const changed = Object.keys(body);
    await recordAudit(tx, actorOf(ctx), {
      action: 'number.update',
      entityType: 'number',
      entityId: id,
      before: {
        display_name: row.displayName,
        system_prompt: row.systemPrompt,
        status: row.status,
        coexistence: row.coexistence,
        business_id: row.businessId,
        marketing_messages_api: row.marketingMessagesApi,
      },
      after: {
        display_name: next!.displayName,
        system_prompt: next!.systemPrompt,
        status: next!.status,
        coexistence: next!.coexistence,
        business_id: next!.businessId,
        marketing_messages_api: next!.marketingMessagesApi,
        changed,
      },
    });
    return toNumber(next!);
  });
  if (body.app_secret || body.verify_token) await deps.credentialsChanged(id);
  return updated;
}
