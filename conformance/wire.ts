/**
 * Raw gRPC calls for the few cases whose request cannot be expressed with the typed API (fields
 * the messages no longer have). Uses grpc-js directly, not mlmd-ts internals.
 */
import { Client, credentials, Metadata } from '@grpc/grpc-js'

/** Sends `request` bytes to `/ml_metadata.MetadataStoreService/<rpc>`; resolves with the status. */
export function rawUnaryCall(
  address: string,
  rpc: string,
  request: Buffer,
): Promise<{ code: number; details: string; response: Buffer | undefined }> {
  const client = new Client(address, credentials.createInsecure())
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/ml_metadata.MetadataStoreService/${rpc}`,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      request,
      new Metadata(),
      {},
      (error, response) => {
        client.close()
        resolve(
          error === null
            ? { code: 0, details: '', response }
            : { code: error.code, details: error.details, response: undefined },
        )
      },
    )
  })
}
