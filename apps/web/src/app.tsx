import { type ComponentType, lazy } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { AcceptInvitationPage } from './features/auth/accept-invitation-page.tsx';
import { LoginPage } from './features/auth/login-page.tsx';
import { AutomationLayout } from './features/automation/automation-layout.tsx';
import { SettingsLayout } from './features/settings/settings-layout.tsx';
import { Shell } from './features/shell/shell.tsx';

/** A page loaded when first visited: the dashboard's first load carries only the shell and sign-in. */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}

const RulesPage = page(() => import('./features/automation/rules-page.tsx'), 'RulesPage');
const HoursPage = page(() => import('./features/automation/hours-page.tsx'), 'HoursPage');
const FlowsPage = page(() => import('./features/automation/flows-page.tsx'), 'FlowsPage');
const FlowEditorPage = page(() => import('./features/automation/flow-editor-page.tsx'), 'FlowEditorPage');
const RunsPage = page(() => import('./features/automation/runs-page.tsx'), 'RunsPage');
const RunPage = page(() => import('./features/automation/runs-page.tsx'), 'RunPage');
const CampaignPage = page(() => import('./features/campaigns/campaign-page.tsx'), 'CampaignPage');
const CampaignsPage = page(() => import('./features/campaigns/campaigns-page.tsx'), 'CampaignsPage');
const NewCampaignPage = page(() => import('./features/campaigns/new-campaign-page.tsx'), 'NewCampaignPage');
const ContactPage = page(() => import('./features/contacts/contact-page.tsx'), 'ContactPage');
const ContactsPage = page(() => import('./features/contacts/contacts-page.tsx'), 'ContactsPage');
const ContactsSettingsPage = page(
  () => import('./features/contacts/contacts-settings-page.tsx'),
  'ContactsSettingsPage',
);
const ImportStatusPage = page(() => import('./features/contacts/import-wizard.tsx'), 'ImportStatusPage');
const ImportWizard = page(() => import('./features/contacts/import-wizard.tsx'), 'ImportWizard');
const InboxPage = page(() => import('./features/inbox/inbox-page.tsx'), 'InboxPage');
const ApiKeysPage = page(() => import('./features/settings/api-keys-page.tsx'), 'ApiKeysPage');
const AiPage = page(() => import('./features/settings/ai-page.tsx'), 'AiPage');
const KnowledgePage = page(() => import('./features/settings/knowledge-page.tsx'), 'KnowledgePage');
const AccountPage = page(() => import('./features/settings/account-page.tsx'), 'AccountPage');
const BillingPage = page(() => import('./features/settings/billing-page.tsx'), 'BillingPage');
const AuditPage = page(() => import('./features/settings/audit-page.tsx'), 'AuditPage');
const JobsPage = page(() => import('./features/settings/jobs-page.tsx'), 'JobsPage');
const MembersPage = page(() => import('./features/settings/members-page.tsx'), 'MembersPage');
const NotificationsPage = page(
  () => import('./features/settings/notifications-page.tsx'),
  'NotificationsPage',
);
const NumbersPage = page(() => import('./features/settings/numbers-page.tsx'), 'NumbersPage');
const OrgSettingsPage = page(() => import('./features/settings/org-settings-page.tsx'), 'OrgSettingsPage');
const ReportsLayout = page(() => import('./features/reports/reports-layout.tsx'), 'ReportsLayout');
const ReportsHomePage = page(() => import('./features/reports/reports-home-page.tsx'), 'ReportsHomePage');
const CampaignsReportPage = page(
  () => import('./features/reports/campaigns-report-page.tsx'),
  'CampaignsReportPage',
);
const NumbersReportPage = page(
  () => import('./features/reports/numbers-report-page.tsx'),
  'NumbersReportPage',
);
const TemplatesReportPage = page(
  () => import('./features/reports/templates-report-page.tsx'),
  'TemplatesReportPage',
);
const SpendReportPage = page(() => import('./features/reports/spend-report-page.tsx'), 'SpendReportPage');
const AgentsReportPage = page(() => import('./features/reports/agents-report-page.tsx'), 'AgentsReportPage');
const QuickRepliesPage = page(() => import('./features/settings/quick-replies-page.tsx'), 'QuickRepliesPage');
const TeamsPage = page(() => import('./features/settings/teams-page.tsx'), 'TeamsPage');
const WebhooksPage = page(() => import('./features/settings/webhooks-page.tsx'), 'WebhooksPage');
const WebhookEndpointPage = page(
  () => import('./features/settings/webhook-endpoint-page.tsx'),
  'WebhookEndpointPage',
);
const WebhookEventsPage = page(
  () => import('./features/settings/webhook-events-page.tsx'),
  'WebhookEventsPage',
);
const NewTemplatePage = page(() => import('./features/templates/new-template-page.tsx'), 'NewTemplatePage');
const TemplatePage = page(() => import('./features/templates/template-page.tsx'), 'TemplatePage');
const TemplatesPage = page(() => import('./features/templates/templates-page.tsx'), 'TemplatesPage');

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
        <Route path="automation" element={<AutomationLayout />}>
          <Route index element={<Navigate to="rules" replace />} />
          <Route path="rules" element={<RulesPage />} />
          <Route path="hours" element={<HoursPage />} />
          <Route path="flows" element={<FlowsPage />} />
          <Route path="flows/:id" element={<FlowEditorPage />} />
          <Route path="runs" element={<RunsPage />} />
          <Route path="runs/:id" element={<RunPage />} />
        </Route>
        <Route path="reports" element={<ReportsLayout />}>
          <Route index element={<ReportsHomePage />} />
          <Route path="campaigns" element={<CampaignsReportPage />} />
          <Route path="numbers" element={<NumbersReportPage />} />
          <Route path="templates" element={<TemplatesReportPage />} />
          <Route path="spend" element={<SpendReportPage />} />
          <Route path="agents" element={<AgentsReportPage />} />
        </Route>
        <Route path="settings" element={<SettingsLayout />}>
          <Route index element={<Navigate to="organisation" replace />} />
          <Route path="organisation" element={<OrgSettingsPage />} />
          <Route path="members" element={<MembersPage />} />
          <Route path="numbers" element={<NumbersPage />} />
          <Route path="contacts" element={<ContactsSettingsPage />} />
          <Route path="quick-replies" element={<QuickRepliesPage />} />
          <Route path="teams" element={<TeamsPage />} />
          <Route path="billing" element={<BillingPage />} />
          <Route path="ai" element={<AiPage />} />
          <Route path="knowledge" element={<KnowledgePage />} />
          <Route path="account" element={<AccountPage />} />
          <Route path="notifications" element={<NotificationsPage />} />
          <Route path="api-keys" element={<ApiKeysPage />} />
          <Route path="webhooks" element={<WebhooksPage />} />
          <Route path="webhooks/:id" element={<WebhookEndpointPage />} />
          <Route path="webhook-events" element={<WebhookEventsPage />} />
          <Route path="jobs" element={<JobsPage />} />
          <Route path="audit" element={<AuditPage />} />
        </Route>
        <Route path="*" element={<Navigate to="/inbox" replace />} />
      </Route>
    </Routes>
  );
}
