import { type Builder, str } from './context.ts';

export interface TemplateRef {
  id: string;
  name: string;
  language: string;
  category: string;
}

/** Template lifecycle events; each takes `template` (a TemplateRef) in params. */
export const TEMPLATE_KINDS: Record<string, Builder> = {
  message_template_status_update: (_ctx, p) => {
    const t = p.template as TemplateRef;
    const event = str(p, 'event', 'APPROVED');
    return {
      field: 'message_template_status_update',
      value: {
        event,
        message_template_id: Number(t.id),
        message_template_name: t.name,
        message_template_language: t.language,
        reason: str(p, 'reason', event === 'REJECTED' ? 'INVALID_FORMAT' : 'NONE'),
        message_template_category: t.category,
        ...(event === 'REJECTED'
          ? {
              rejection_info: {
                reason: str(
                  p,
                  'rejection_reason',
                  'Your template has parameters placed next to each other without text between them.',
                ),
                recommendation: 'Separate parameters with descriptive text.',
              },
            }
          : {}),
      },
    };
  },
  template_category_update: (_ctx, p) => {
    const t = p.template as TemplateRef;
    return {
      field: 'template_category_update',
      value: {
        message_template_id: Number(t.id),
        message_template_name: t.name,
        message_template_language: t.language,
        previous_category: str(p, 'previous_category', t.category),
        new_category: str(p, 'new_category', 'MARKETING'),
      },
    };
  },
  message_template_quality_update: (_ctx, p) => {
    const t = p.template as TemplateRef;
    return {
      field: 'message_template_quality_update',
      value: {
        previous_quality_score: str(p, 'previous_quality_score', 'GREEN'),
        new_quality_score: str(p, 'new_quality_score', 'YELLOW'),
        message_template_id: Number(t.id),
        message_template_name: t.name,
        message_template_language: t.language,
      },
    };
  },
  message_template_components_update: (_ctx, p) => {
    const t = p.template as TemplateRef;
    return {
      field: 'message_template_components_update',
      value: {
        message_template_id: Number(t.id),
        message_template_name: t.name,
        message_template_language: t.language,
        message_template_element: str(p, 'element', 'Hi {{1}}! Welcome to our service.'),
      },
    };
  },
};
