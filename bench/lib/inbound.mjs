// A customer's text message as Meta's webhook carries it, signed with the app secret.
import { signWebhookBody } from '@openwaba/simulator';

/**
 * The signed webhook body of one customer text to `num` (`phone_number_id`, `waba_id`,
 * `display_phone_number`): `{ body, signature }` to POST to /webhooks/whatsapp.
 */
export function inboundText(num, appSecret, { from, wamid, text, name = `C ${from}` }) {
  return signWebhookBody(
    {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: num.waba_id,
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: num.display_phone_number.replace(/\D/g, ''),
                  phone_number_id: num.phone_number_id,
                },
                contacts: [{ profile: { name }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: wamid,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    text: { body: text },
                    type: 'text',
                  },
                ],
              },
              field: 'messages',
            },
          ],
        },
      ],
    },
    appSecret,
  );
}
