import { type Builder, messagesValue, str } from './context.ts';

/** A customer stops or resumes marketing messages, or signs up through a link (field `user_preferences`). */
export const PREFERENCE_KINDS: Record<string, Builder> = {
  user_preferences: (ctx, p) => {
    const value = str(p, 'value', 'stop');
    return messagesValue(
      ctx,
      {
        user_preferences: [
          {
            wa_id: ctx.customer.wa_id,
            detail:
              value === 'stop'
                ? 'User requested to stop marketing messages'
                : value === 'resume'
                  ? 'User requested to resume marketing messages'
                  : 'User signed up via signup link',
            category: 'marketing_messages',
            value,
            ...(value === 'signup' ? { signup_id: '13176843987434774' } : {}),
            timestamp: ctx.now,
          },
        ],
      },
      true,
      'user_preferences',
    );
  },
};
