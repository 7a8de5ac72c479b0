import { Navigate, Route, Routes } from 'react-router';
import { AcceptInvitationPage } from './features/auth/accept-invitation-page.tsx';
import { LoginPage } from './features/auth/login-page.tsx';
import { CampaignPage } from './features/campaigns/campaign-page.tsx';
import { CampaignsPage } from './features/campaigns/campaigns-page.tsx';
import { NewCampaignPage } from './features/campaigns/new-campaign-page.tsx';
import { ContactPage } from './features/contacts/contact-page.tsx';
import { ContactsPage } from './features/contacts/contacts-page.tsx';
import { ContactsSettingsPage } from './features/contacts/contacts-settings-page.tsx';
import { ImportStatusPage, ImportWizard } from './features/contacts/import-wizard.tsx';
import { InboxPage } from './features/inbox/inbox-page.tsx';
import { AccountPage } from './features/settings/account-page.tsx';
import { AuditPage } from './features/settings/audit-page.tsx';
import { JobsPage } from './features/settings/jobs-page.tsx';
import { MembersPage } from './features/settings/members-page.tsx';
import { NotificationsPage } from './features/settings/notifications-page.tsx';
import { NumbersPage } from './features/settings/numbers-page.tsx';
import { OrgSettingsPage } from './features/settings/org-settings-page.tsx';
import { QuickRepliesPage } from './features/settings/quick-replies-page.tsx';
import { SettingsLayout } from './features/settings/settings-layout.tsx';
import { TeamsPage } from './features/settings/teams-page.tsx';
import { WebhookEventsPage } from './features/settings/webhook-events-page.tsx';
import { Shell } from './features/shell/shell.tsx';
import { NewTemplatePage } from './features/templates/new-template-page.tsx';
import { TemplatePage } from './features/templates/template-page.tsx';
import { TemplatesPage } from './features/templates/templates-page.tsx';

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
      <Route element={<Shell />}>
        <Route index element={<Navigate to="/inbox" replace />} />
        <Route path="inbox/:conversationId?" element={<InboxPage />} />
        <Route path="contacts" element={<ContactsPage />} />
        <Route path="contacts/import" element={<ImportWizard />} />
        <Route path="contacts/imports/:id" element={<ImportStatusPage />} />
        <Route path="contacts/:id" element={<ContactPage />} />
        <Route path="templates" element={<TemplatesPage />} />
        <Route path="templates/new" element={<NewTemplatePage />} />
        <Route path="templates/:id" element={<TemplatePage />} />
        <Route path="campaigns" element={<CampaignsPage />} />
        <Route path="campaigns/new" element={<NewCampaignPage />} />
        <Route path="campaigns/:id" element={<CampaignPage />} />
        <Route path="settings" element={<SettingsLayout />}>
          <Route index element={<Navigate to="organisation" replace />} />
          <Route path="organisation" element={<OrgSettingsPage />} />
          <Route path="members" element={<MembersPage />} />
          <Route path="numbers" element={<NumbersPage />} />
          <Route path="contacts" element={<ContactsSettingsPage />} />
          <Route path="quick-replies" element={<QuickRepliesPage />} />
          <Route path="teams" element={<TeamsPage />} />
          <Route path="account" element={<AccountPage />} />
          <Route path="notifications" element={<NotificationsPage />} />
          <Route path="webhook-events" element={<WebhookEventsPage />} />
          <Route path="jobs" element={<JobsPage />} />
          <Route path="audit" element={<AuditPage />} />
        </Route>
        <Route path="*" element={<Navigate to="/inbox" replace />} />
      </Route>
    </Routes>
  );
}
