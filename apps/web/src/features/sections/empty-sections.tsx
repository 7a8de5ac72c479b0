import { Link } from 'react-router';
import { Icon } from '../../components/icons.tsx';
import { EmptyState, PageHeader } from '../../components/ui.tsx';

/** An empty section says what will appear in it and how to get there. */
const TEXT = {
  inbox: {
    title: 'Inbox',
    heading: 'No conversations yet',
    body: 'Customer messages to your WhatsApp numbers appear here live. Connect a number under Settings to start receiving them.',
  },
  contacts: {
    title: 'Contacts',
    heading: 'No contacts yet',
    body: 'Import a CSV or Excel file, or let contacts arrive with their first message. Consent and opt-outs are tracked per contact.',
  },
  templates: {
    title: 'Templates',
    heading: 'No templates synced',
    body: 'Approved WhatsApp templates from your accounts are synced here, with previews and category-change protection.',
  },
  campaigns: {
    title: 'Campaigns',
    heading: 'No campaigns yet',
    body: 'Send approved templates to thousands of opted-in contacts at full speed, with live progress and reports.',
  },
} as const;

export function SectionPlaceholder({ section }: { section: keyof typeof TEXT }) {
  const t = TEXT[section];
  return (
    <>
      <PageHeader title={t.title} />
      <EmptyState
        title={t.heading}
        icon={<Icon name={section} className="mx-auto h-10 w-10 text-brand-600" />}
      >
        <p>{t.body}</p>
        <p className="mt-3">
          <Link to="/settings" className="font-medium text-brand-700 underline">
            Open settings
          </Link>
        </p>
      </EmptyState>
    </>
  );
}
