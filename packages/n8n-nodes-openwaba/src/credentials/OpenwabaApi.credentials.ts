import type {
  IAuthenticateGeneric,
  ICredentialTestRequest,
  ICredentialType,
  Icon,
  INodeProperties,
} from 'n8n-workflow';

/**
 * An openwaba API key (`owk_…`, Settings → API keys) and the address of the openwaba it belongs to.
 * Each node operation needs the key to hold that operation's scope (see the package README).
 */
export class OpenwabaApi implements ICredentialType {
  name = 'openwabaApi';

  displayName = 'openwaba API';

  icon: Icon = 'file:../nodes/Openwaba/openwaba.svg';

  documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-openwaba#credentials';

  properties: INodeProperties[] = [
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: '',
      placeholder: 'https://wa.example.com',
      description: 'The address of your openwaba, without /api',
      required: true,
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      placeholder: 'owk_…',
      description: 'Created by an admin in openwaba under Settings → API keys; shown once',
      required: true,
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: {
      headers: {
        Authorization: '=Bearer {{$credentials.apiKey}}',
      },
    },
  };

  /**
   * `GET /api/v1/auth/session` is public and answers `signed_in: true` for any live key whatever its
   * scopes (a scoped route would fail a valid key that lacks that one scope).
   */
  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl}}',
      url: '/api/v1/auth/session',
      method: 'GET',
    },
    rules: [
      {
        type: 'responseSuccessBody',
        properties: {
          key: 'signed_in',
          value: false,
          message: 'openwaba does not know this API key (revoked, expired or mistyped)',
        },
      },
    ],
  };
}
