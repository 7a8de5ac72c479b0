import { Alert } from '../../components/ui.tsx';
import { useContactRights } from './queries.ts';
import { FieldsCard } from './settings/fields-card.tsx';
import { KeywordsCard } from './settings/keywords-card.tsx';
import { TagsCard } from './settings/tags-card.tsx';

/** Settings → Contacts: tags, custom field definitions and the consent keywords. */
export function ContactsSettingsPage() {
  const { canManage } = useContactRights();
  return (
    <div className="max-w-3xl space-y-6">
      {!canManage && (
        <Alert kind="info">
          Only managers, admins and owners change these settings; you can look at them.
        </Alert>
      )}
      <TagsCard editable={canManage} />
      <FieldsCard editable={canManage} />
      <KeywordsCard editable={canManage} />
    </div>
  );
}
