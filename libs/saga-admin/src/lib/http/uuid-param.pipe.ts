import { Injectable, type PipeTransform } from '@nestjs/common';
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { ApiException } from './api.exception.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bulk action ids are UUIDs: anything else is a malformed request (400 on `id`), not an unknown one (404). */
@Injectable()
export class BulkActionIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new ApiException(400, SAGA_ERROR_CODES.VALIDATION_FAILED, `Bulk action id must be a UUID; "${String(value).slice(0, 64)}" is not one.`, 'id');
    }
    return value.toLowerCase();
  }
}
