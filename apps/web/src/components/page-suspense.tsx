import { Component, type ReactNode, Suspense } from 'react';
import { useLocation } from 'react-router';
import { Alert, Button } from './ui.tsx';

/**
 * A page whose code failed to arrive (the network dropped, or the server was updated and the old
 * files are gone) says so and offers a reload, instead of leaving the dashboard blank.
 */
class PageLoadBoundary extends Component<{ children: ReactNode; path: string }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  /** Going to another page tries again. */
  override componentDidUpdate(previous: { path: string }) {
    if (this.state.failed && previous.path !== this.props.path) this.setState({ failed: false });
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <Alert>
        This page could not be loaded.{' '}
        <Button variant="secondary" onClick={() => window.location.reload()}>
          Reload
        </Button>
      </Alert>
    );
  }
}

/** Where pages loaded on demand appear: "Loading…" while their code arrives, a way out if it fails. */
export function PageSuspense({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <PageLoadBoundary path={pathname}>
      <Suspense
        fallback={
          <p className="py-6 text-sm text-slate-500" role="status">
            Loading…
          </p>
        }
      >
        {children}
      </Suspense>
    </PageLoadBoundary>
  );
}
