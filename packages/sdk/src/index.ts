export { ApiError, type Client, type ClientOptions, createClient } from './client.ts';
