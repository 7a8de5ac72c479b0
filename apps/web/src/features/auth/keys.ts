/** Query keys of the signed-in person and of invitation links. */
export const authKeys = {
  /** The signed-in user (`null` when signed out); every org switch or sign-out rewrites it. */
  me: ['me'] as const,
  invitation: (token: string) => ['invitation', token] as const,
};
