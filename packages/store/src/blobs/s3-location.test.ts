import { describe, expect, it } from 'vitest';
import { parseS3Location } from './s3-location.js';

describe('BERTH_BLOB_STORE s3:// addresses', () => {
  it('reads bucket, prefix, endpoint, region and path style', () => {
    expect(
      parseS3Location('s3://images/berth/prod?endpoint=http://127.0.0.1:7480&region=eu-west-1'),
    ).toEqual({
      bucket: 'images',
      prefix: 'berth/prod/',
      endpoint: 'http://127.0.0.1:7480',
      region: 'eu-west-1',
      pathStyle: true,
    });
    expect(parseS3Location('s3://images')).toMatchObject({
      bucket: 'images',
      prefix: '',
      endpoint: undefined,
      pathStyle: false,
    });
    expect(parseS3Location('s3://images/p/?pathStyle=true').pathStyle).toBe(true);
    expect(
      parseS3Location(
        's3://images?endpoint=http://rgw.internal:7480&publicEndpoint=https://s3.example.com',
      ),
    ).toMatchObject({
      endpoint: 'http://rgw.internal:7480',
      publicEndpoint: 'https://s3.example.com',
    });
  });

  it.each([
    ['http://images/x', /does not start with s3:\/\//],
    ['s3://Images', /not a bucket name/],
    ['s3://ab', /not a bucket name/],
    ['s3://key:secret@images', /credentials do not belong in the address/],
    ['s3://images?endpoint=ftp://host', /not an http:\/\/ or https:\/\/ address/],
    ['s3://images?endpoint=nonsense', /not an http:\/\/ or https:\/\/ address/],
    ['s3://images?publicEndpoint=s3.example.com', /publicEndpoint "s3.example.com" is not an/],
    ['s3://images?bucket=x', /unknown parameter "bucket"/],
    ['s3://images?pathStyle=yes', /pathStyle must be true or false/],
    ['s3://images/a%2F..%2Fb', /not a usable key prefix/],
    ['s3://images/a//b', /not a usable key prefix/],
    ['not an address', /not an address/],
  ])('refuses %s, saying why', (address, message) => {
    expect(() => parseS3Location(address)).toThrow(message);
  });
});
