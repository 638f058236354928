// The S3 blob driver and client, apart from the main entry because they load the AWS SDK
// (~0.25 s): a server on the filesystem driver never imports them.
export { createS3Driver } from './blobs/s3-driver.js';
export { createS3UploadStaging } from './blobs/s3-upload-staging.js';
export { checkS3Location, connectS3, createS3Client } from './blobs/s3-client.js';
