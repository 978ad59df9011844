import { HttpException } from '@nestjs/common';
import type { ApiErrorBody } from '@nest-saga/contracts';

/** An error the API answers as is: `{ statusCode, code, message, field? }`. */
export class ApiException extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super({ statusCode: status, code, message, ...(field ? { field } : {}) } satisfies ApiErrorBody, status);
  }
}
